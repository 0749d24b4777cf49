import { describe, expect, it } from "vitest";
import type { PromptContent } from "./prompt-content.js";
import { definePromptContent, promptDefinitionLimits, variableNamePattern } from "./prompt-definition.js";
import { isPromptDefinitionError, PromptDefinitionError } from "./prompt-definition-error.js";

const knownTools: ReadonlySet<string> = new Set(["inventory_lookup", "calculator", "current_time"]);

function define(raw: unknown, tools: ReadonlySet<string> = knownTools): PromptContent {
  return definePromptContent(raw, { knownTools: tools });
}

/** The error `define(raw)` throws; fails the test when it does not throw one. */
function definitionErrorOf(raw: unknown, tools: ReadonlySet<string> = knownTools): PromptDefinitionError {
  try {
    define(raw, tools);
  } catch (err) {
    if (isPromptDefinitionError(err)) {
      return err;
    }
    throw err;
  }
  throw new Error("definePromptContent accepted the definition");
}

const system = (template: string) => ({ role: "system", template });
const human = (template: string) => ({ role: "human", template });

/** A definition whose only message is `template`, declaring `inputVariables`. */
const withTemplate = (template: string, inputVariables?: unknown) => ({ messages: [system(template)], inputVariables });

describe("definePromptContent", () => {
  describe("given a valid definition", () => {
    it("fills the defaults: kind agent, no variables, no model settings, every tool, no schema", () => {
      const content = define({ messages: [system("Be brief.")] });

      expect(content).toEqual({ kind: "agent", messages: [{ role: "system", template: "Be brief." }], inputVariables: [], model: {}, tools: [] });
      expect(Object.hasOwn(content, "outputSchema")).toBe(false);
    });

    it("sorts inputVariables and tools and drops their duplicates", () => {
      const content = define({
        messages: [system("Write for {team} in {tone}."), human("{input} ({team})")],
        inputVariables: ["tone", "team", "tone"],
        tools: ["inventory_lookup", "calculator", "inventory_lookup"],
      });

      expect(content.inputVariables).toEqual(["team", "tone"]);
      expect(content.tools).toEqual(["calculator", "inventory_lookup"]);
    });

    it("keeps the kind, the messages in order and the model settings", () => {
      const content = define({
        kind: "chain",
        messages: [system("Classify."), human("Example"), { role: "ai", template: "spam" }, human("{input}")],
        model: { temperature: 0, maxOutputTokens: 256 },
      });

      expect(content.kind).toBe("chain");
      expect(content.messages.map((message) => message.role)).toEqual(["system", "human", "ai", "human"]);
      expect(content.model).toEqual({ temperature: 0, maxOutputTokens: 256 });
    });

    it("takes null, YAML's empty value, as unset", () => {
      const content = define({ kind: null, messages: [system("Hi")], inputVariables: null, model: { temperature: null, maxOutputTokens: null }, tools: null, outputSchema: null });

      expect(content).toEqual(define({ messages: [system("Hi")] }));
      expect(Object.hasOwn(content, "outputSchema")).toBe(false);
    });

    it("lets a template use {input} without declaring it", () => {
      expect(define({ messages: [system("Answer."), human("Task: {input}")] }).inputVariables).toEqual([]);
    });

    it("reads {{ and }} as literal braces, not variables", () => {
      expect(define(withTemplate('Reply as {{"answer": {{input}}}} for {team}', ["team"])).inputVariables).toEqual(["team"]);
    });

    it.each([
      ["the lowest temperature", { temperature: 0 }],
      ["the highest temperature", { temperature: promptDefinitionLimits.maxTemperature }],
      ["one output token", { maxOutputTokens: 1 }],
      ["the most output tokens", { maxOutputTokens: promptDefinitionLimits.maxOutputTokens }],
    ])("accepts %s", (_, model) => {
      expect(define({ messages: [system("Hi")], model }).model).toEqual(model);
    });

    it("accepts templates of the longest length and the most messages", () => {
      const longest = "x".repeat(promptDefinitionLimits.maxTemplateLength);
      const messages = Array.from({ length: promptDefinitionLimits.maxMessages }, () => system(longest));

      expect(define({ messages }).messages).toHaveLength(32);
    });

    it("accepts a variable name of 64 characters", () => {
      const name = `v${"_".repeat(63)}`;

      expect(define(withTemplate(`{${name}}`, [name])).inputVariables).toEqual([name]);
    });

    it("accepts tools on an agent and none on a chain", () => {
      expect(define({ messages: [system("Hi")], tools: ["calculator"] }).tools).toEqual(["calculator"]);
      expect(define({ kind: "chain", messages: [system("Hi")], tools: [] }).tools).toEqual([]);
    });

    it("returns a deeply frozen copy that later changes to the definition do not reach", () => {
      const message = system("Hi {name}");
      const raw = {
        messages: [message],
        inputVariables: ["name"],
        model: { temperature: 1 },
        tools: ["calculator"],
        outputSchema: { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] },
      };
      const content = define(raw);
      message.template = "changed";
      raw.inputVariables.push("other");
      raw.outputSchema.properties.answer.type = "number";

      expect(content.messages[0]?.template).toBe("Hi {name}");
      expect(content.inputVariables).toEqual(["name"]);
      expect(content.outputSchema).toEqual({ type: "object", properties: { answer: { type: "string" } }, required: ["answer"] });
      for (const part of [content, content.messages, content.messages[0], content.inputVariables, content.model, content.tools, content.outputSchema]) {
        expect(Object.isFrozen(part)).toBe(true);
      }
      expect(Object.isFrozen((content.outputSchema?.["properties"] as Record<string, unknown>)["answer"])).toBe(true);
    });
  });

  describe.each<[string, unknown, string, string]>([
    // The definition as a whole.
    ["nothing", undefined, "", "a prompt definition is required"],
    ["a number", 5, "", "a prompt definition must be an object such as"],
    ["a list", [system("Hi")], "", "a prompt definition must be an object such as"],
    ["an unknown field", { messages: [system("Hi")], tool: ["calculator"] }, "tool", "is not a field here; the fields are kind, messages, inputVariables, model, tools, outputSchema"],
    ["an unknown kind", { kind: "workflow", messages: [system("Hi")] }, "kind", 'must be "agent" or "chain" (got "workflow")'],

    // Messages.
    ["no messages field", {}, "messages", 'is required: a list of {"role", "template"}, at least one'],
    ["no messages", { messages: [] }, "messages", "must have at least one message"],
    ["33 messages", { messages: Array.from({ length: 33 }, () => system("Hi")) }, "messages", "must have at most 32 messages"],
    ["messages that are not a list", { messages: "Hi" }, "messages", 'must be a list of messages (got "Hi")'],
    ["a message that is not an object", { messages: ["Hi"] }, "messages[0]", 'must be an object such as {"role": "system", "template": "..."} (got "Hi")'],
    ["the role user", { messages: [{ role: "user", template: "Hi" }] }, "messages[0].role", 'must be "system", "human" or "ai" (got "user")'],
    ["a message without a role", { messages: [{ template: "Hi" }] }, "messages[0].role", "is required"],
    ["a message without a template", { messages: [system("Hi"), { role: "human" }] }, "messages[1].template", "is required"],
    ["a template that is not text", { messages: [{ role: "system", template: 42 }] }, "messages[0].template", "must be a string: the message's text, with {variables} (got 42)"],
    ["an empty template", { messages: [system(" \n ")] }, "messages[0].template", "is empty; write the message's text"],
    ["a template over 32,768 characters", { messages: [system("x".repeat(32_769))] }, "messages[0].template", "is longer than 32,768 characters"],
    ["an unknown message field", { messages: [{ role: "system", text: "Hi" }] }, "messages[0].template", "is required"],
    ["an extra message field", { messages: [{ role: "system", template: "Hi", name: "x" }] }, "messages[0].name", "is not a field here; the fields are role, template"],

    // Template syntax and variable names.
    ["an unclosed brace", withTemplate("Hello {name"), "messages[0].template", "is not a valid f-string template (Unclosed '{' in template.); write {{ and }} for literal braces"],
    ["a lone closing brace", withTemplate("Hello } there"), "messages[0].template", "is not a valid f-string template (Single '}' in template.)"],
    ["spaces inside the braces", withTemplate("Hello { name }", ["name"]), "messages[0].template", "{ name } is not a valid variable name"],
    ["empty braces", withTemplate("Hello {}"), "messages[0].template", "{} is not a valid variable name"],
    ["a dash in a used name", withTemplate("Hello {first-name}"), "messages[0].template", "{first-name} is not a valid variable name; a variable name has letters"],
    ["JSON in single braces", withTemplate('Reply as {"answer": 1}'), "messages[0].template", '{"answer": 1} is not a valid variable name'],

    // Declared and used variables.
    ["a used variable not declared", { messages: [system("Hi"), human("About {topic}")] }, "messages[1].template", 'uses {topic}, which is not declared; add "topic" to inputVariables, or write {{ and }} for literal braces'],
    ["two used variables not declared", { messages: [system("{tone} about {topic}")], inputVariables: [] }, "messages[0].template", 'uses {tone}, {topic}, which are not declared; add "tone", "topic" to inputVariables'],
    ["a declared variable no template uses", withTemplate("Hi {team}", ["team", "tone"]), "inputVariables", 'declares "tone", which no template uses; remove it or use {tone} in a template'],
    ["two declared variables no template uses", withTemplate("Hi", ["b", "a"]), "inputVariables", 'declares "a", "b", which no template uses; remove them or use {a}, {b} in a template'],
    ["input declared", { messages: [human("{input}")], inputVariables: ["input"] }, "inputVariables", '"input" is reserved for the run\'s input and must not be declared; use {input} in a template without declaring it'],
    ["a declared name with a dash", withTemplate("Hi", ["first-name"]), "inputVariables", '"first-name" is not a valid variable name'],
    ["a declared name starting with a digit", withTemplate("Hi", ["1st"]), "inputVariables", '"1st" is not a valid variable name'],
    ["a declared name of 65 characters", withTemplate("Hi", [`v${"_".repeat(64)}`]), "inputVariables", `"v${"_".repeat(64)}" is not a valid variable name; a variable name has letters, digits and _, starts with a letter or _, and has at most 64 characters`],
    ["inputVariables that are not a list", withTemplate("Hi {a}", "a"), "inputVariables", 'must be a list of variable names (got "a")'],
    ["a declared variable that is not text", withTemplate("Hi {a}", [1]), "inputVariables[0]", "must be a variable name (got 1)"],
    ["65 declared variables", withTemplate("Hi", Array.from({ length: 65 }, (_, index) => `v${index}`)), "inputVariables", "must declare at most 64 variables"],

    // Tools.
    ["an unknown tool", { messages: [system("Hi")], tools: ["calculator", "serach"] }, "tools", 'unknown tool "serach"; the registered tools are calculator, current_time, inventory_lookup'],
    ["two unknown tools", { messages: [system("Hi")], tools: ["web", "serach"] }, "tools", 'unknown tools "serach", "web"; the registered tools are'],
    ["tools on a chain", { kind: "chain", messages: [system("Hi")], tools: ["calculator"] }, "tools", 'a chain makes one model call and cannot use tools (got "calculator"); remove tools or make kind "agent"'],
    ["tools that are not a list", { messages: [system("Hi")], tools: "calculator" }, "tools", 'must be a list of tool names (got "calculator")'],
    ["a tool name that is not text", { messages: [system("Hi")], tools: [{ name: "calculator" }] }, "tools[0]", 'must be a tool name (got {"name":"calculator"})'],

    // Model settings.
    ["a temperature above 2", { messages: [system("Hi")], model: { temperature: 2.5 } }, "model.temperature", "must be a number from 0 to 2 (got 2.5)"],
    ["a negative temperature", { messages: [system("Hi")], model: { temperature: -0.1 } }, "model.temperature", "must be a number from 0 to 2 (got -0.1)"],
    ["a temperature as text", { messages: [system("Hi")], model: { temperature: "hot" } }, "model.temperature", 'must be a number from 0 to 2 (got "hot")'],
    ["no output tokens", { messages: [system("Hi")], model: { maxOutputTokens: 0 } }, "model.maxOutputTokens", "must be a whole number from 1 to 1,000,000 (got 0)"],
    ["a fraction of output tokens", { messages: [system("Hi")], model: { maxOutputTokens: 1.5 } }, "model.maxOutputTokens", "must be a whole number from 1 to 1,000,000 (got 1.5)"],
    ["too many output tokens", { messages: [system("Hi")], model: { maxOutputTokens: 1_000_001 } }, "model.maxOutputTokens", "must be a whole number from 1 to 1,000,000 (got 1000001)"],
    ["output tokens as text", { messages: [system("Hi")], model: { maxOutputTokens: "100" } }, "model.maxOutputTokens", 'must be a whole number from 1 to 1,000,000 (got "100")'],
    ["model settings that are not an object", { messages: [system("Hi")], model: "gpt" }, "model", 'must be an object with temperature and maxOutputTokens, each optional (got "gpt")'],
    ["an unknown model setting", { messages: [system("Hi")], model: { temprature: 1 } }, "model.temprature", "is not a field here; the fields are temperature, maxOutputTokens"],

    // Output schema.
    ["an output schema that is a list", { messages: [system("Hi")], outputSchema: [{ type: "string" }] }, "outputSchema", "must be a JSON Schema object, such as"],
    ["an output schema that is text", { messages: [system("Hi")], outputSchema: "object" }, "outputSchema", "must be a JSON Schema object, such as {\"type\": \"object\", \"properties\": {...}} (got string)"],
    ["an output schema that is true", { messages: [system("Hi")], outputSchema: true }, "outputSchema", "must be a JSON Schema object, such as {\"type\": \"object\", \"properties\": {...}} (got boolean)"],
    ["a Date in an output schema", { messages: [system("Hi")], outputSchema: { type: "object", properties: { when: { default: new Date(0) } } } }, "outputSchema.properties.when.default", "is not a JSON value (a Date)"],
    ["NaN in an output schema", { messages: [system("Hi")], outputSchema: { type: "number", maximum: Number.NaN } }, "outputSchema.maximum", "NaN is not a JSON number"],
    ["undefined in an output schema", { messages: [system("Hi")], outputSchema: { type: "string", default: undefined } }, "outputSchema.default", "is not a JSON value (undefined)"],
    ["an output schema nested too deep", { messages: [system("Hi")], outputSchema: nested(70) }, "outputSchema" + ".items".repeat(64), "nests deeper than 64 levels"],
    ["an unknown JSON Schema type", { messages: [system("Hi")], outputSchema: { type: "object", properties: { age: { type: "integr" } } } }, "outputSchema", "is not a valid JSON Schema (draft 2020-12): outputSchema.properties.age.type: must be one of \"array\", \"boolean\", \"integer\""],
    ["a misspelt JSON Schema keyword", { messages: [system("Hi")], outputSchema: { type: "object", propertes: {} } }, "outputSchema", 'is not a valid JSON Schema (draft 2020-12): outputSchema: unknown keyword: "propertes"'],
    ["a negative minLength", { messages: [system("Hi")], outputSchema: { type: "string", minLength: -1 } }, "outputSchema", "outputSchema.minLength: must be >= 0"],
    ["a draft-07 output schema", { messages: [system("Hi")], outputSchema: { $schema: "http://json-schema.org/draft-07/schema#", type: "object" } }, "outputSchema", 'outputSchema.$schema: only JSON Schema draft 2020-12 is supported: write "https://json-schema.org/draft/2020-12/schema" or leave $schema out'],
    ["a $ref that does not resolve", { messages: [system("Hi")], outputSchema: { $ref: "#/$defs/answer" } }, "outputSchema", "can't resolve reference #/$defs/answer"],
    ["an output schema whose root is not an object", { messages: [system("Hi")], outputSchema: { type: "string" } }, "outputSchema.type", 'must be "object": the parsed answer is returned as a JSON object (got "string")'],
    ["an output schema whose root has no type", { messages: [system("Hi")], outputSchema: { properties: { a: { type: "string" } } } }, "outputSchema.type", "(got null)"],
  ])("given %s", (_, raw, field, message) => {
    it("refuses it with an error that names the field and says what to change", () => {
      const error = definitionErrorOf(raw);

      expect(error).toBeInstanceOf(PromptDefinitionError);
      expect(error.field).toBe(field);
      expect(error.message).toContain(message);
      expect(error.message.startsWith(field === "" ? message.slice(0, 10) : `${field}: `)).toBe(true);
    });
  });

  it("says that no tools are registered when none are", () => {
    expect(definitionErrorOf({ messages: [system("Hi")], tools: ["calculator"] }, new Set()).message).toBe('tools: unknown tool "calculator"; no tools are registered');
  });

  it("lists at most 20 registered tools in an unknown-tool error", () => {
    const many = new Set(Array.from({ length: 25 }, (_, index) => `tool_${String(index).padStart(2, "0")}`));

    expect(definitionErrorOf({ messages: [system("Hi")], tools: ["nope"] }, many).message).toMatch(/tool_19, and 5 more$/);
  });

  describe("given output schemas draft 2020-12 allows", () => {
    it.each([
      ["with its $schema", { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" }],
      ["with a local $ref", { $defs: { answer: { type: "string" } }, type: "object", properties: { answer: { $ref: "#/$defs/answer" } } }],
      ["with a format, an annotation", { type: "object", properties: { email: { type: "string", format: "email" } } }],
      ["with prefixItems", { type: "object", properties: { pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }] } } }],
      ["with unevaluatedProperties", { type: "object", properties: { a: { type: "string" } }, unevaluatedProperties: false }],
      ["with a __proto__ property", JSON.parse('{"type": "object", "properties": {"__proto__": {"type": "string"}}}') as unknown],
    ])("accepts one %s", (_, outputSchema) => {
      expect(define({ messages: [system("Hi")], outputSchema }).outputSchema).toEqual(outputSchema);
    });
  });

  it("takes variable names by the identifier rule", () => {
    expect(["a", "_a", "A1_b", "x".repeat(64)].every((name) => variableNamePattern.test(name))).toBe(true);
    expect(["", "1a", "a-b", "a b", "é", "x".repeat(65)].some((name) => variableNamePattern.test(name))).toBe(false);
  });
});

/** A schema of `depth` nested `items`. */
function nested(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: "string" };
  for (let level = 0; level < depth; level++) {
    schema = { type: "array", items: schema };
  }
  return schema;
}
