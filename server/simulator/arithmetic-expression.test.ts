import { describe, expect, it } from "vitest";
import { findArithmeticExpression } from "./arithmetic-expression.js";

describe("findArithmeticExpression", () => {
  describe.each([
    ["What is 17 * 23?", "17 * 23"],
    ["(2 + 3) * 4", "(2 + 3) * 4"],
    ["Please compute (2 + 3) * 4 for me.", "(2 + 3) * 4"],
    ["what's 2^10 - 1", "2^10 - 1"],
    ["Is 10 % 3 equal to 1?", "10 % 3"],
    ["Calculate -3 * 4.5", "-3 * 4.5"],
    ["What is   7   /   2 ?", "7 / 2"],
    ["(what is 6 * 7)", "6 * 7"],
    ["Add 1 + 2, then tell me 100 - 58 * 3", "100 - 58 * 3"],
  ])("in %j", (text, expected) => {
    it(`finds ${JSON.stringify(expected)}`, () => {
      expect(findArithmeticExpression(text)).toBe(expected);
    });
  });

  describe.each([
    ["Hello there"],
    ["I have 3 apples"],
    ["Is SKU-1001 in stock?"],
    ["What happened on 2024-01-05?"],
    ["I have 5 apples and -3 pears"],
    ["What is 15% of 200?"],
    ["Call me at 555 1234"],
  ])("in %j", (text) => {
    it("finds no expression", () => {
      expect(findArithmeticExpression(text)).toBeUndefined();
    });
  });
});
