import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cacheKey } from "./cache-key.js";

describe("cacheKey", () => {
  it("is the sha256 hex of the canonical JSON", () => {
    const expected = createHash("sha256").update('{"a":1,"b":[2,{"c":3,"d":4}]}').digest("hex");
    expect(cacheKey({ b: [2, { d: 4, c: 3 }], a: 1 })).toBe(expected);
  });

  it("does not depend on key order at any depth", () => {
    const one = { model: "sim-small", messages: [{ role: "user", content: "hi", meta: { x: 1, y: 2 } }], temperature: 0 };
    const other = { temperature: 0, messages: [{ meta: { y: 2, x: 1 }, content: "hi", role: "user" }], model: "sim-small" };
    expect(cacheKey(one)).toBe(cacheKey(other));
  });

  it("treats an undefined property as absent", () => {
    expect(cacheKey({ model: "a", tools: undefined })).toBe(cacheKey({ model: "a" }));
  });

  it.each([
    ["a different value", { model: "a", temperature: 0 }, { model: "a", temperature: 1 }],
    ["a different model", { model: "a" }, { model: "b" }],
    ["a different array order", { messages: ["x", "y"] }, { messages: ["y", "x"] }],
    ["a number versus a string", { n: 1 }, { n: "1" }],
    ["null versus absent", { tools: null }, {}],
  ])("differs for %s", (_case, one, other) => {
    expect(cacheKey(one)).not.toBe(cacheKey(other));
  });

  it("keys values with toJSON by their JSON form, sorted too", () => {
    const message = { toJSON: () => ({ type: "human", content: "hi" }) };
    expect(cacheKey({ messages: [message] })).toBe(cacheKey({ messages: [{ content: "hi", type: "human" }] }));
    expect(cacheKey({ at: new Date(0) })).toBe(cacheKey({ at: "1970-01-01T00:00:00.000Z" }));
  });

  it("keeps a __proto__ key as data", () => {
    const withProto = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    expect(cacheKey(withProto)).not.toBe(cacheKey({ a: 1 }));
  });

  it("refuses a request without a JSON form", () => {
    expect(() => cacheKey(undefined)).toThrow(TypeError);
  });
});
