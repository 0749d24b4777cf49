import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { PromptContent } from "./prompt-content.js";
import { definePromptContent } from "./prompt-definition.js";
import { canonicalPromptJson, promptVersionId } from "./prompt-hash.js";

const knownTools: ReadonlySet<string> = new Set(["calculator", "current_time", "inventory_lookup"]);

const define = (raw: unknown) => definePromptContent(raw, { knownTools });

const base = {
  kind: "agent",
  messages: [
    { role: "system", template: "You help {team}." },
    { role: "human", template: "{input}" },
  ],
  inputVariables: ["team"],
  model: { temperature: 0.2, maxOutputTokens: 500 },
  tools: ["calculator"],
  outputSchema: { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] },
};

describe("canonicalPromptJson", () => {
  it("writes keys sorted at every depth, no whitespace", () => {
    expect(canonicalPromptJson(define(base))).toBe(
      '{"inputVariables":["team"],"kind":"agent",' +
        '"messages":[{"role":"system","template":"You help {team}."},{"role":"human","template":"{input}"}],' +
        '"model":{"maxOutputTokens":500,"temperature":0.2},' +
        '"outputSchema":{"properties":{"answer":{"type":"string"}},"required":["answer"],"type":"object"},' +
        '"tools":["calculator"]}',
    );
  });

  it("leaves undefined fields out", () => {
    const content: PromptContent = { kind: "chain", messages: [{ role: "system", template: "Hi" }], inputVariables: [], model: { temperature: undefined }, tools: [], outputSchema: undefined };

    expect(canonicalPromptJson(content)).toBe('{"inputVariables":[],"kind":"chain","messages":[{"role":"system","template":"Hi"}],"model":{},"tools":[]}');
  });

  it("sorts integer-like keys as text, which an object's own key order would not", () => {
    const content = define({ messages: [{ role: "system", template: "Hi" }], outputSchema: { type: "object", properties: { "2": { type: "string" }, "10": { type: "string" }, b: {}, a: {} } } });

    expect(canonicalPromptJson(content)).toContain('"properties":{"10":{"type":"string"},"2":{"type":"string"},"a":{},"b":{}}');
  });

  it("keeps the order of messages and of lists inside the schema", () => {
    const content = define({
      messages: [{ role: "system", template: "B" }, { role: "system", template: "A" }],
      outputSchema: { type: "object", properties: { grade: { enum: ["z", "a"] } } },
    });

    expect(canonicalPromptJson(content)).toContain('"messages":[{"role":"system","template":"B"},{"role":"system","template":"A"}]');
    expect(canonicalPromptJson(content)).toContain('"grade":{"enum":["z","a"]}');
  });

  it("escapes text as JSON does, so it parses back to the same content", () => {
    const content = define({ messages: [{ role: "system", template: 'Quote " backslash \\ newline \n tab \t emoji 🙂 {x}' }], inputVariables: ["x"] });

    expect(define(JSON.parse(canonicalPromptJson(content)))).toEqual(content);
  });

  it("refuses a number that has no JSON form", () => {
    const content: PromptContent = { ...define(base), model: { temperature: Number.POSITIVE_INFINITY } };

    expect(() => canonicalPromptJson(content)).toThrow(TypeError);
  });
});

describe("promptVersionId", () => {
  it("is the first 16 hex characters of the SHA-256 of the canonical JSON", () => {
    const content = define(base);
    const digest = createHash("sha256").update(canonicalPromptJson(content)).digest("hex");

    expect(promptVersionId(content)).toBe(digest.slice(0, 16));
    expect(promptVersionId(content)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("does not depend on the order of a definition's keys", () => {
    const reordered = {
      outputSchema: { required: ["answer"], properties: { answer: { type: "string" } }, type: "object" },
      tools: ["calculator"],
      model: { maxOutputTokens: 500, temperature: 0.2 },
      inputVariables: ["team"],
      messages: [
        { template: "You help {team}.", role: "system" },
        { template: "{input}", role: "human" },
      ],
      kind: "agent",
    };

    expect(promptVersionId(define(reordered))).toBe(promptVersionId(define(base)));
  });

  it("does not depend on the order or duplicates of tools and variables in a definition", () => {
    const messages = [{ role: "system", template: "{b} {a}" }];
    const sorted = define({ messages, inputVariables: ["a", "b"], tools: ["calculator", "current_time"] });
    const unsorted = define({ messages, inputVariables: ["b", "a", "b"], tools: ["current_time", "calculator", "current_time"] });

    expect(promptVersionId(unsorted)).toBe(promptVersionId(sorted));
  });

  it("does not depend on the order or duplicates of tools and variables in content built by hand", () => {
    const content = define({ messages: [{ role: "system", template: "{b} {a}" }], inputVariables: ["a", "b"], tools: ["calculator", "current_time"] });
    const byHand: PromptContent = { ...content, inputVariables: ["b", "a", "a"], tools: ["current_time", "calculator", "calculator"] };

    expect(promptVersionId(byHand)).toBe(promptVersionId(content));
  });

  it("is the same for defaults written out and left out", () => {
    const explicit = define({ kind: "agent", messages: [{ role: "system", template: "Hi" }], inputVariables: [], model: {}, tools: [] });

    expect(promptVersionId(explicit)).toBe(promptVersionId(define({ messages: [{ role: "system", template: "Hi" }] })));
  });

  it("survives a round trip through the stored canonical JSON", () => {
    const content = define(base);

    expect(promptVersionId(define(JSON.parse(canonicalPromptJson(content))))).toBe(promptVersionId(content));
  });

  const changes: [string, (raw: typeof base) => unknown][] = [
    ["one character of a template", (raw) => ({ ...raw, messages: [{ role: "system", template: "You help {team}!" }, raw.messages[1]] })],
    ["whitespace in a template", (raw) => ({ ...raw, messages: [{ role: "system", template: "You help {team}. " }, raw.messages[1]] })],
    ["a message's role", (raw) => ({ ...raw, messages: [raw.messages[0], { role: "ai", template: "{input}" }] })],
    ["the order of the messages", (raw) => ({ ...raw, messages: [raw.messages[1], raw.messages[0]] })],
    ["one more message", (raw) => ({ ...raw, messages: [...raw.messages, { role: "ai", template: "Sure." }] })],
    ["the kind", (raw) => ({ ...raw, kind: "chain", tools: [] })],
    ["a variable", (raw) => ({ ...raw, messages: [{ role: "system", template: "You help {group}." }, raw.messages[1]], inputVariables: ["group"] })],
    ["the temperature", (raw) => ({ ...raw, model: { ...raw.model, temperature: 0.3 } })],
    ["no temperature", (raw) => ({ ...raw, model: { maxOutputTokens: 500 } })],
    ["the output tokens", (raw) => ({ ...raw, model: { ...raw.model, maxOutputTokens: 501 } })],
    ["the tools", (raw) => ({ ...raw, tools: ["calculator", "current_time"] })],
    ["no tools (every tool)", (raw) => ({ ...raw, tools: [] })],
    ["a nested schema value", (raw) => ({ ...raw, outputSchema: { ...raw.outputSchema, properties: { answer: { type: "number" } } } })],
    ["a schema keyword", (raw) => ({ ...raw, outputSchema: { ...raw.outputSchema, additionalProperties: false } })],
    ["no schema", (raw) => ({ ...raw, outputSchema: undefined })],
  ];

  it.each(changes)("changes with %s", (_, change) => {
    expect(promptVersionId(define(change(base)))).not.toBe(promptVersionId(define(base)));
  });

  it("differs for every one of those changes", () => {
    const ids = [base, ...changes.map(([, change]) => change(base))].map((raw) => promptVersionId(define(raw)));

    expect(new Set(ids).size).toBe(ids.length);
  });
});
