import { describe, expect, it } from "vitest";
import { exceedsJsonDepth } from "./json-nesting-depth.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("exceedsJsonDepth", () => {
  it.each([
    { name: "a flat object", json: '{"a":1}', maxDepth: 1, exceeds: false },
    { name: "arrays and objects both count", json: '{"a":[{"b":[]}]}', maxDepth: 3, exceeds: true },
    { name: "exactly the limit", json: '{"a":[{"b":[]}]}', maxDepth: 4, exceeds: false },
    { name: "brackets inside a string", json: '{"a":"[[[[{{{{"}', maxDepth: 1, exceeds: false },
    { name: "an escaped quote does not end the string", json: '{"a":"\\"[[[["}', maxDepth: 1, exceeds: false },
    { name: "an escaped backslash before the closing quote", json: '{"a":"\\\\"}', maxDepth: 1, exceeds: false },
    { name: "brackets after a string with an escaped backslash", json: '{"a":"\\\\",[[]]}', maxDepth: 2, exceeds: true },
    { name: "multi-byte UTF-8 in strings", json: '{"é€😀":"[é€😀"}', maxDepth: 1, exceeds: false },
    { name: "unclosed brackets (left to the parser to refuse as JSON)", json: "[[[", maxDepth: 2, exceeds: true },
    { name: "siblings do not add up", json: "[[],[],[],[]]", maxDepth: 2, exceeds: false },
  ])("$name: $exceeds", ({ json, maxDepth, exceeds }) => {
    expect(exceedsJsonDepth(bytes(json), maxDepth)).toBe(exceeds);
  });
});
