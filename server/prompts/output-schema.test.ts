import { describe, expect, it } from "vitest";
import { compileOutputSchema, maxReportedErrors, type OutputParseResult } from "./output-schema.js";
import { isOutputSchemaError, OutputSchemaError } from "./output-schema-error.js";
import type { JsonObject } from "./prompt-content.js";

const order: JsonObject = {
  type: "object",
  properties: {
    id: { type: "string" },
    status: { enum: ["open", "closed"] },
    kind: { const: "order" },
    items: { type: "array", items: { type: "object", properties: { price: { type: "number" } }, required: ["price"] } },
  },
  required: ["id", "status"],
  additionalProperties: false,
};

const validator = compileOutputSchema(order);

/** The error lines of `result`; fails the test when it is valid. */
function errorsOf(result: OutputParseResult): readonly string[] {
  if (result.ok) {
    throw new Error(`the answer was accepted: ${JSON.stringify(result.value)}`);
  }
  return result.errors;
}

describe("compileOutputSchema", () => {
  it("accepts a valid answer and returns its value", () => {
    expect(validator.parse('{"id": "a1", "status": "open", "items": [{"price": 2.5}]}')).toEqual({
      ok: true,
      value: { id: "a1", status: "open", items: [{ price: 2.5 }] },
    });
  });

  describe.each([
    ["whitespace around it", '\n  {"id": "a1", "status": "open"}  \n'],
    ["a ```json fence", '```json\n{"id": "a1", "status": "open"}\n```'],
    ["a ```JSON fence", '```JSON\n{"id": "a1", "status": "open"}\n```'],
    ["a bare ``` fence", '```\n{"id": "a1", "status": "open"}\n```'],
    ["a fence with whitespace around it and CRLF lines", '  ```json  \r\n{"id": "a1",\r\n "status": "open"}\r\n```\n'],
  ])("given the answer with %s", (_, text) => {
    it("accepts it", () => {
      expect(validator.parse(text)).toEqual({ ok: true, value: { id: "a1", status: "open" } });
    });
  });

  describe.each([
    ["text before the fence", 'Here it is:\n```json\n{"id": "a1", "status": "open"}\n```'],
    ["two fenced blocks", '```json\n{"id": "a1", "status": "open"}\n```\n```json\n{"id": "a2", "status": "open"}\n```'],
    ["a fence of another language", '```python\n{"id": "a1", "status": "open"}\n```'],
    ["a sentence", "The order a1 is open."],
    ["an unclosed object", '{"id": "a1", "status": "open"'],
  ])("given %s", (_, text) => {
    it("says the answer is not valid JSON and how to reply", () => {
      const errors = errorsOf(validator.parse(text));

      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^the answer is not valid JSON \(.+\): reply with only the JSON value, without other text$/);
    });
  });

  it.each([[""], ["  \n "], ["```json\n```"]])("says an empty answer (%j) is empty", (text) => {
    expect(errorsOf(validator.parse(text))).toEqual(["the answer is empty: reply with only a JSON value that matches the schema"]);
  });

  describe.each<[string, string, string[]]>([
    ["a missing property", '{"id": "a1"}', ['$: must have the property "status"']],
    ["a property of the wrong type", '{"id": 7, "status": "open"}', ["$.id: must be string"]],
    ["a nested item of the wrong type", '{"id": "a", "status": "open", "items": [{"price": 1}, {"price": "2"}]}', ["$.items[1].price: must be number"]],
    ["a missing nested property", '{"id": "a", "status": "open", "items": [{}]}', ['$.items[0]: must have the property "price"']],
    ["a property the schema does not allow", '{"id": "a", "status": "open", "note": "x"}', ['$: must not have the property "note"']],
    ["a value outside the enum", '{"id": "a", "status": "pending"}', ['$.status: must be one of "open", "closed"']],
    ["a value other than the const", '{"id": "a", "status": "open", "kind": "refund"}', ['$.kind: must be "order"']],
    ["a list instead of an object", '[{"id": "a"}]', ["$: must be object"]],
    ["several problems", '{"status": "shipped", "id": 1}', ["$.id: must be string", '$.status: must be one of "open", "closed"']],
  ])("given an answer with %s", (_, text, expected) => {
    it("lists each problem as path: message", () => {
      expect(errorsOf(validator.parse(text))).toEqual(expected);
    });
  });

  it(`reports at most ${maxReportedErrors} lines, the last saying how many more`, () => {
    const prices = Array.from({ length: 15 }, () => '{"price": "free"}').join(",");
    const errors = errorsOf(validator.parse(`{"id": "a", "status": "open", "items": [${prices}]}`));

    expect(errors).toHaveLength(maxReportedErrors);
    expect(errors[0]).toBe("$.items[0].price: must be number");
    expect(errors.at(-1)).toBe("and 6 more problems");
  });

  it("writes a key that is not an identifier, or is a digit, quoted", () => {
    const schema = compileOutputSchema({ type: "object", properties: { "first name": { type: "string" }, "0": { type: "string" }, "a/b~c": { type: "string" } } });

    expect(errorsOf(schema.parse('{"first name": 1, "0": 2, "a/b~c": 3}'))).toEqual([
      '$["0"]: must be string',
      '$["first name"]: must be string',
      '$["a/b~c"]: must be string',
    ]);
  });

  it("lists at most 10 allowed values of an enum", () => {
    const codes = Array.from({ length: 12 }, (_, index) => `c${index}`);

    expect(errorsOf(compileOutputSchema({ enum: codes }).parse('"x"'))).toEqual([
      '$: must be one of "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", … (12 in all)',
    ]);
  });

  it("treats format as an annotation, as draft 2020-12 does", () => {
    expect(compileOutputSchema({ type: "string", format: "email" }).parse('"not an email"')).toEqual({ ok: true, value: "not an email" });
  });

  it("applies draft 2020-12 keywords", () => {
    const pair = compileOutputSchema({ type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false });

    expect(pair.parse('["a", 1]').ok).toBe(true);
    expect(errorsOf(pair.parse('[1, "a", 3]'))).toEqual(["$[0]: must be string", "$[1]: must be number", "$: must NOT have more than 2 items"]);
  });

  it("compiles each schema object once", () => {
    expect(compileOutputSchema(order)).toBe(validator);
  });

  it("keeps schemas that share an $id apart", () => {
    const text = compileOutputSchema({ $id: "https://example.com/answer", type: "string" });
    const number = compileOutputSchema({ $id: "https://example.com/answer", type: "number" });

    expect(text.parse('"a"').ok).toBe(true);
    expect(number.parse("1").ok).toBe(true);
    expect(errorsOf(number.parse('"a"'))).toEqual(["$: must be number"]);
  });

  it("does not let a schema $ref another schema's $id", () => {
    compileOutputSchema({ $id: "https://example.com/shared", type: "string" });

    expect(() => compileOutputSchema({ $ref: "https://example.com/shared" })).toThrow(OutputSchemaError);
  });

  describe.each<[string, JsonObject, string]>([
    ["an unknown type", { type: "strnig" }, "type: must be one of"],
    ["a misspelt keyword", { type: "object", propertes: {} }, 'unknown keyword: "propertes"'],
    ["another draft", { $schema: "http://json-schema.org/draft-07/schema#" }, "only JSON Schema draft 2020-12 is supported"],
    ["a dangling $ref", { $ref: "#/$defs/missing" }, "can't resolve reference #/$defs/missing"],
  ])("given a schema with %s", (_, schema, message) => {
    it("throws an OutputSchemaError naming the problem", () => {
      let thrown: unknown;
      try {
        compileOutputSchema(schema);
      } catch (err) {
        thrown = err;
      }

      expect(isOutputSchemaError(thrown)).toBe(true);
      expect((thrown as OutputSchemaError).message).toContain(message);
    });
  });

  it("gives the path of each meta-schema problem within the schema", () => {
    let thrown: unknown;
    try {
      compileOutputSchema({ type: "object", properties: { age: { type: "integer", minimum: "0" } } });
    } catch (err) {
      thrown = err;
    }

    expect((thrown as OutputSchemaError).problems).toEqual([{ path: ["properties", "age", "minimum"], message: "must be number" }]);
  });
});
