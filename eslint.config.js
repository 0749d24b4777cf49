// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "gen/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": ["error", { allow: ["error"] }],
    },
  },
  {
    // Examples and benchmarks are programs whose output is the point.
    files: ["examples/**", "bench/**", "server/simulator/main.ts"],
    rules: { "no-console": "off" },
  },
  {
    // The wiring steps are the composition root's own parts (server/service.ts calls them in order,
    // and owns the closers they register): nothing else builds the service piece by piece.
    files: ["**/*.ts"],
    ignores: ["server/service.ts", "server/wiring/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/wiring/*"], message: "Only server/service.ts uses server/wiring/; start the service with startAgentService." },
          ],
        },
      ],
    },
  },
  {
    // A wiring step takes what it needs as arguments; reaching back into the root would be a cycle.
    files: ["server/wiring/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["../service.js", "../main.js"], message: "A wiring step takes what it needs as arguments, from server/service.ts." },
          ],
        },
      ],
    },
  },
);
