// @ts-check
import { readdirSync } from "node:fs";
import { join } from "node:path";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Who may import what (DESIGN.md, "Layers"). The layers, most basic first: each imports only the
// layers above it and the leaves, never one below it. Imports are matched as written, relative
// ones only (`./`, `../`, `../../`, ...), so a package such as `@langchain/core/prompts` never matches.

/**
 * The library entry (`agent-service/server`): the service layer's public face for deployments,
 * imported from outside the package only. Left out of the import patterns, because `./index.js`
 * written in a folder of server/ names that folder's own index, not this file.
 */
const libraryEntry = "index.ts";

/** Files directly in server/ that any layer may use. */
const rootLeaves = ["logger.ts", "secret-source.ts", "redis-credentials.ts"];

/**
 * The service layer's files directly in server/ (config, the HTTP server, the entry points): every
 * root file that is not a leaf, so a new one belongs to the service until it is listed as a leaf.
 */
const serviceRootFiles = readdirSync(join(import.meta.dirname, "server")).filter(
  (name) => name.endsWith(".ts") && !name.endsWith(".test.ts") && !rootLeaves.includes(name) && name !== libraryEntry,
);

/** What each layer is made of: its folders under server/ and, for the service, its root files. */
const layers = {
  model: { folders: ["model"] },
  prompt: { folders: ["prompts"] },
  chain: { folders: ["chain"] },
  agent: { folders: ["agent"] },
  runs: { folders: ["runs"] },
  service: { folders: ["rpc", "auth", "guard", "audit", "ui", "http", "wiring"], files: serviceRootFiles },
};

/** The leaves any layer may use; they import no layer. */
const leaves = { folders: ["store", "telemetry", "errors"], files: rootLeaves };

/** @typedef {{ folders: string[], files?: string[] }} Part A layer, or the leaves: folders under server/ and root files. */

/** Where the files of `part` are, as `files` globs. */
function sourcesOf(/** @type {Part} */ part) {
  return [...part.folders.map((folder) => `server/${folder}/**`), ...(part.files ?? []).map((file) => `server/${file}`)];
}

/** The tests of `part`, and the test helpers beside them (`testing/` folders). */
function testsOf(/** @type {Part} */ part) {
  return part.folders.flatMap((folder) => [`server/${folder}/**/*.test.ts`, `server/${folder}/**/testing/**`]);
}

/** A regex matching a relative import of any folder or root file of `part`, from anywhere in server/. */
function importsOf(/** @type {Part} */ part) {
  const targets = [
    ...part.folders.map((folder) => `${folder}/`),
    ...(part.files ?? []).map((file) => `${file.replace(/\.ts$/, "")}\\.js$`),
  ];
  return String.raw`^\.\.?/(\.\./)*(${targets.join("|")})`;
}

/** Nothing but the composition root, tests and bench imports the simulator. */
const simulatorPattern = {
  regex: String.raw`^\.\.?/(\.\./)*(server/)?simulator/`,
  message:
    "server/simulator/ is a separate program, the fake model provider: only the composition root " +
    "(server/service.ts, server/wiring/, and server/config.ts for its fault rules), tests and bench import it.",
};

/**
 * The wiring steps are the composition root's own parts (server/service.ts calls them in order, and
 * owns the closers they register): nothing else builds the service piece by piece.
 */
const wiringPattern = {
  group: ["**/wiring/*"],
  message: "Only server/service.ts uses server/wiring/; start the service with startAgentService.",
};

/**
 * The rule of one layer (or of the leaves, `why` says which): it must not import the layers
 * `below`, nor, except in its tests, the simulator. Two blocks, because flat config replaces a
 * rule's options where blocks overlap rather than merging them.
 */
function layerRule(
  /** @type {string} */ name,
  /** @type {Part} */ part,
  /** @type {(keyof typeof layers)[]} */ below,
  /** @type {string} */ why,
) {
  const patterns = below.map((lower) => ({
    regex: importsOf(layers[lower]),
    message: `Layers (DESIGN.md): ${name} must not import the ${lower} layer. ${why}`,
  }));
  return [
    { files: sourcesOf(part), rules: { "no-restricted-imports": ["error", { patterns: [...patterns, simulatorPattern] }] } },
    { files: testsOf(part), rules: { "no-restricted-imports": ["error", { patterns }] } },
  ];
}

const leafList = "server/store/, server/telemetry/, server/errors/, server/logger.ts, server/secret-source.ts, server/redis-credentials.ts";
const layerWhy =
  `A layer imports only the layers above it and the leaves (${leafList}); ` +
  "take what you need as an argument, or move the code to the layer it belongs to.";
const leafWhy = `A leaf (${leafList}) imports no layer, so that every layer may use it.`;

/** Test files and their helpers, anywhere. */
const tests = ["**/*.test.ts", "server/**/testing/**", "test/**", "bench/**"];

export default tseslint.config(
  { ignores: ["dist/", "client/dist/", "gen/", "node_modules/", "coverage/"] },
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
    // The run viewer: browser code, checked against its own project (DOM types, preact's JSX; its
    // build script and unit tests against tsconfig.node.json).
    // Browser globals are the DOM lib's: TypeScript checks every name, so `no-undef` stays off
    // for TypeScript files, as everywhere.
    files: ["viewer/**/*.{ts,tsx}"],
    languageOptions: {
      parserOptions: { project: ["./viewer/tsconfig.json", "./viewer/tsconfig.node.json"], tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // Examples and benchmarks are programs whose output is the point.
    files: ["examples/**", "bench/**", "server/simulator/main.ts"],
    rules: { "no-console": "off" },
  },

  // Imports. Every file gets one list of restrictions: a later block replaces an earlier one's for
  // the files both match, so the general blocks come first and the layers after them.
  {
    // Everywhere: server/wiring/ and the simulator stay with the composition root.
    files: ["**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [wiringPattern, simulatorPattern] }] },
  },
  {
    // Tests and bench may start the simulator; server/config.ts parses its fault rules with its schema.
    files: [...tests, "server/config.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [wiringPattern] }] },
  },
  {
    // The viewer's pages run in a browser: they reach the service through its RPCs only.
    files: ["viewer/src/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: String.raw`^\.\.?/(\.\./)*(server|client|test|bench)/`,
              message: "The viewer runs in a browser and talks to the service through its RPCs: import the generated gen/ code, not the service's or the SDK's sources.",
            },
          ],
        },
      ],
    },
  },
  {
    // The composition root builds everything; the process entry starts it (and telemetry before it).
    files: ["server/service.ts", "server/main.ts"],
    rules: { "no-restricted-imports": "off" },
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
  // One rule per layer, most basic first; the service layer is last and may import every layer.
  ...layerRule("the model layer", layers.model, ["prompt", "chain", "agent", "runs", "service"], layerWhy),
  ...layerRule("the prompt layer", layers.prompt, ["chain", "agent", "runs", "service"], layerWhy),
  ...layerRule("the chain layer", layers.chain, ["agent", "runs", "service"], layerWhy),
  ...layerRule("the agent layer", layers.agent, ["runs", "service"], layerWhy),
  ...layerRule("the runs layer", layers.runs, ["service"], layerWhy),
  ...layerRule("a leaf", leaves, ["model", "prompt", "chain", "agent", "runs", "service"], leafWhy),
  {
    // The simulator stands in for a remote provider: it shares no code with the service.
    files: ["server/simulator/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: importsOf({
                folders: [...Object.values(layers), leaves].flatMap((part) => part.folders),
                files: [...serviceRootFiles, ...rootLeaves],
              }),
              message: "server/simulator/ is a separate program, the fake model provider: it imports nothing of the service.",
            },
          ],
        },
      ],
    },
  },
);
