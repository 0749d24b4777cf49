import { describe, expect, it } from "vitest";
import { parsePromptsFile } from "./prompts-file.js";

describe("prompts file", () => {
  it("reads YAML and JSON alike: each entry's name, note and activate, the rest its definition", () => {
    const yaml = ["prompts:", "  - name: triage", "    note: v3", "    activate: false", "    kind: chain", "    messages:", "      - {role: system, template: Triage.}", ""].join("\n");
    const fromYaml = parsePromptsFile(yaml, "yaml", "prompts.yaml");
    const fromJson = parsePromptsFile(
      JSON.stringify({ prompts: [{ name: "triage", note: "v3", activate: false, kind: "chain", messages: [{ role: "system", template: "Triage." }] }] }),
      "json",
      "prompts.json",
    );
    expect(fromYaml).toEqual(fromJson);
    expect(fromYaml).toEqual([{ name: "triage", note: "v3", activate: false, definition: { kind: "chain", messages: [{ role: "system", template: "Triage." }] } }]);
  });

  it("activates by default", () => {
    expect(parsePromptsFile('{"prompts": [{"name": "a", "messages": []}]}', "json", "f")[0]?.activate).toBe(true);
  });

  it.each([
    { text: "prompts: [", format: "yaml" as const, message: /f is not valid YAML/ },
    { text: "{", format: "json" as const, message: /f is not valid JSON/ },
    { text: "[]", format: "json" as const, message: /must hold an object with a "prompts" list/ },
    { text: '{"prompts": [{"note": "x"}]}', format: "json" as const, message: /prompts\[0\]\.name must be a non-empty string/ },
    { text: '{"prompts": [{"name": "a"}, {"name": "a"}]}', format: "json" as const, message: /prompts\[1\]: prompt a is declared twice/ },
    { text: '{"prompts": [{"name": "a", "activate": "yes"}]}', format: "json" as const, message: /prompts\[0\]\.activate must be true or false/ },
    { text: '{"prompts": [{"name": "a", "note": 3}]}', format: "json" as const, message: /prompts\[0\]\.note must be a string/ },
  ])("says where a file is wrong: $message", ({ text, format, message }) => {
    expect(() => parsePromptsFile(text, format, "f")).toThrow(message);
  });
});
