import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { schemaExample } from "./schema-example.js";

// The simulator shares no code with the service, so the examples are checked with Ajv itself.
const ajv = new Ajv2020({ allErrors: true, strict: false });

describe("schemaExample", () => {
  it.each<[string, Record<string, unknown>]>([
    [
      "an object with an enum and a number, all required",
      { type: "object", properties: { label: { enum: ["positive", "negative", "neutral"] }, confidence: { type: "number" } }, required: ["label", "confidence"] },
    ],
    ["nested objects and arrays", { type: "object", properties: { items: { type: "array", items: { type: "object", properties: { sku: { type: "string" }, count: { type: "integer", minimum: 1 } }, required: ["sku"] } } } }],
    ["a required property with no schema of its own", { type: "object", required: ["anything"], additionalProperties: false, properties: { anything: true } }],
    ["bounded numbers", { type: "object", properties: { a: { type: "number", minimum: 3, maximum: 4 }, b: { type: "integer", exclusiveMinimum: 5 }, c: { type: "number", exclusiveMaximum: 0 }, d: { type: "integer", multipleOf: 5, minimum: 7 } } }],
    ["strings with lengths and formats", { type: "object", properties: { short: { type: "string", maxLength: 2 }, long: { type: "string", minLength: 12 }, when: { type: "string", format: "date-time" }, id: { type: "string", format: "uuid" } } }],
    ["arrays with bounds and a prefix", { type: "object", properties: { three: { type: "array", items: { type: "boolean" }, minItems: 3 }, none: { type: "array", maxItems: 0 }, pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false } } }],
    ["a const, a nullable type and a type list", { type: "object", properties: { version: { const: 2 }, note: { type: ["string", "null"] }, flag: { type: ["null", "boolean"] } } }],
    ["local $refs, recursive ones too", { $defs: { node: { type: "object", properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#/$defs/node" } } }, required: ["name"] } }, type: "object", properties: { root: { $ref: "#/$defs/node" } }, required: ["root"] }],
    ["allOf, anyOf and oneOf", { type: "object", allOf: [{ properties: { a: { type: "string" } }, required: ["a"] }, { properties: { b: { type: "integer" } }, required: ["b"] }], properties: { c: { anyOf: [{ type: "number" }, { type: "string" }] }, d: { oneOf: [{ type: "boolean" }, { type: "string" }] } } }],
    ["a __proto__ property", JSON.parse('{"type": "object", "properties": {"__proto__": {"type": "string"}}, "required": ["__proto__"]}') as Record<string, unknown>],
  ])("makes a value that validates against %s", (_, schema) => {
    const example = schemaExample(schema);
    const validate = ajv.compile(schema);
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });

  it("fills every declared property: enums with their first value, strings, numbers, arrays of one item", () => {
    expect(
      schemaExample({
        type: "object",
        properties: { label: { enum: ["positive", "negative"] }, score: { type: "number" }, tags: { type: "array", items: { type: "string" } }, ok: { type: "boolean" } },
      }),
    ).toEqual({ label: "positive", score: 0.5, tags: ["text"], ok: true });
  });

  it("is the same every time", () => {
    const schema = { type: "object", properties: { a: { type: "integer" }, b: { type: "string" } } };
    expect(JSON.stringify(schemaExample(schema))).toBe(JSON.stringify(schemaExample(schema)));
  });
});
