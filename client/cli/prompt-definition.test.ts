import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PromptContentSchema, PromptKind, PromptRole } from "../../gen/agent/v1/prompt_service_pb.js";
import { parsePromptDefinition } from "./prompt-definition-file.js";
import { contentOfDefinition, definitionOfContent, formatDefinition } from "./prompt-definition.js";

describe("a prompt definition file", () => {
  it("becomes the PromptContent the service's definitionOf maps back to the same definition", () => {
    const yaml = [
      "kind: chain",
      "messages:",
      "  - role: system",
      "    template: Classify {text}.",
      "  - role: human",
      "    template: '{input}'",
      "inputVariables: [text]",
      "model: { temperature: 0.2, maxOutputTokens: 200 }",
      "tools:",
      "outputSchema: { type: object, properties: { label: { type: string } } }",
    ].join("\n");
    const content = create(PromptContentSchema, parsePromptDefinition(yaml, "yaml", "p.yaml"));
    expect(content).toMatchObject({
      kind: PromptKind.CHAIN,
      messages: [
        { role: PromptRole.SYSTEM, template: "Classify {text}." },
        { role: PromptRole.HUMAN, template: "{input}" },
      ],
      inputVariables: ["text"],
      temperature: 0.2,
      maxOutputTokens: 200,
      tools: [],
      outputSchema: { type: "object", properties: { label: { type: "string" } } },
    });
    expect(definitionOfContent(content)).toEqual({
      kind: "chain",
      messages: [
        { role: "system", template: "Classify {text}." },
        { role: "human", template: "{input}" },
      ],
      inputVariables: ["text"],
      model: { temperature: 0.2, maxOutputTokens: 200 },
      outputSchema: { properties: { label: { type: "string" } }, type: "object" },
    });
  });

  it("leaves kind and settings unset when the file does, as the service's defaults", () => {
    const content = create(PromptContentSchema, parsePromptDefinition('{"messages": [{"role": "ai", "template": "Hi"}]}', "json", "p.json"));
    expect(content.kind).toBe(PromptKind.UNSPECIFIED);
    expect(content.temperature).toBeUndefined();
    expect(content.maxOutputTokens).toBe(0);
    expect(formatDefinition(definitionOfContent(content))).toBe('{\n  "kind": "agent",\n  "messages": [\n    {\n      "role": "ai",\n      "template": "Hi"\n    }\n  ]\n}');
  });

  it.each([
    { problem: "no messages", definition: { kind: "agent" }, message: "messages: is required" },
    { problem: "an unknown role", definition: { messages: [{ role: "robot", template: "x" }] }, message: 'messages[0].role: must be "system", "human" or "ai", got "robot"' },
    { problem: "a misspelt field", definition: { messages: [{ role: "ai", template: "x" }], tool: ["clock"] }, message: "tool: unknown field" },
    { problem: "a name, which the command line gives", definition: { name: "x", messages: [] }, message: "name: unknown field; a definition has kind, messages" },
    { problem: "a whole prompts file", definition: { prompts: [] }, message: 'holds a prompts file (a "prompts" list)' },
    { problem: "an unknown kind", definition: { kind: "graph", messages: [{ role: "ai", template: "x" }] }, message: 'kind: must be "agent" or "chain", got "graph"' },
    { problem: "a temperature that is not a number", definition: { messages: [{ role: "ai", template: "x" }], model: { temperature: "hot" } }, message: "model.temperature: must be a number" },
    { problem: "output tokens that are not whole", definition: { messages: [{ role: "ai", template: "x" }], model: { maxOutputTokens: 1.5 } }, message: "model.maxOutputTokens: must be a whole number" },
    { problem: "tools that are not names", definition: { messages: [{ role: "ai", template: "x" }], tools: [1] }, message: "tools: must be a list of tool names" },
  ])("is refused with $problem, naming the field", ({ definition, message }) => {
    expect(() => contentOfDefinition(definition)).toThrow(message);
  });

  it("names the file and line of a YAML syntax error", () => {
    expect(() => parsePromptDefinition("messages: [\n", "yaml", "bad.yaml")).toThrow(/^bad\.yaml is not valid YAML: .*line/);
  });
});
