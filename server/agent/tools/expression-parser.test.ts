import { describe, expect, it } from "vitest";
import { isExpressionError } from "./expression-error.js";
import { evaluateExpression } from "./expression-parser.js";

function errorOf(source: string, options?: Parameters<typeof evaluateExpression>[1]): { message: string; position: number } {
  try {
    evaluateExpression(source, options);
  } catch (error) {
    if (isExpressionError(error)) {
      return { message: error.message, position: error.position };
    }
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(source)} to fail`);
}

describe("evaluateExpression", () => {
  describe.each([
    // numbers
    ["an integer", "42", 42],
    ["a decimal", "3.25", 3.25],
    ["a decimal without a leading digit", ".5", 0.5],
    ["scientific notation", "1.5e3", 1500],
    ["scientific notation with a negative exponent", "2E-3", 0.002],
    ["whitespace anywhere", " \t1 +\n 2 ", 3],
    // precedence
    ["multiplication before addition", "2 + 3 * 4", 14],
    ["parentheses first", "(2 + 3) * 4", 20],
    ["power before multiplication", "2 * 3 ^ 2", 18],
    ["modulo like multiplication", "7 + 10 % 4", 9],
    ["the brief's example", "17 * 23", 391],
    // associativity
    ["subtraction left to right", "10 - 4 - 3", 3],
    ["division left to right", "100 / 10 / 5", 2],
    ["power right to left", "2 ^ 3 ^ 2", 512],
    ["** as power", "2 ** 10", 1024],
    // unary
    ["unary minus", "-5 + 2", -3],
    ["unary plus", "+5", 5],
    ["double negation", "--5", 5],
    ["unary minus binds looser than power", "-2 ^ 2", -4],
    ["a negative exponent", "2 ^ -1", 0.5],
    ["unary minus after an operator", "3 * -2", -6],
    ["unary minus on a group", "-(2 + 3)", -5],
    // functions and constants
    ["sqrt", "sqrt(16)", 4],
    ["abs", "abs(-7.5)", 7.5],
    ["round half away from zero", "round(2.5)", 3],
    ["round a negative half away from zero", "round(-2.5)", -3],
    ["round to decimals despite binary representation", "round(1.005, 2)", 1.01],
    ["floor", "floor(-1.5)", -2],
    ["ceil", "ceil(1.2)", 2],
    ["min of many", "min(4, 2, 8)", 2],
    ["max of expressions", "max(1 + 1, 2 * 3)", 6],
    ["log is base 10", "log(1000)", 3],
    ["log with a base", "log(8, 2)", 3],
    ["ln of e", "ln(e)", 1],
    ["cos of 0", "cos(0)", 1],
    ["names ignore case", "SQRT(4) + PI - pi", 2],
    ["nested calls", "sqrt(abs(-16)) * max(1, min(3, 2))", 8],
    ["copied typographic operators", "3 × 4 − 1 ÷ 2", 11.5],
  ])("%s: %s", (_, source, expected) => {
    it(`evaluates to ${expected}`, () => {
      expect(evaluateExpression(source)).toBe(expected);
    });
  });

  it.each([
    ["pi", Math.PI],
    ["e", Math.E],
    ["sin(pi / 2)", 1],
    ["tan(pi / 4)", 1],
  ])("evaluates %s to about %d", (source, expected) => {
    expect(evaluateExpression(source)).toBeCloseTo(expected, 12);
  });

  describe.each([
    ["an empty expression", "", "unexpected end of expression at position 1", 1],
    ["a dangling operator", "1 +", "unexpected end of expression at position 4", 4],
    ["an unknown character", "2 # 3", "unexpected character '#' at position 3", 3],
    ["two numbers in a row", "1 2", "unexpected '2' at position 3; expected an operator", 3],
    ["implicit multiplication", "2(3)", "unexpected '(' at position 2; expected an operator", 2],
    ["an unclosed parenthesis", "(1 + 2", "expected ')' to close the '(' at position 1", 7],
    ["an extra closing parenthesis", "1 + 2)", "unexpected ')' at position 6", 6],
    ["a malformed number", "1.2.3", "unexpected '.3' at position 4", 4],
    ["an unknown function", "foo(1)", "unknown function 'foo' at position 1", 1],
    ["an unknown name", "2 * x", "unknown name 'x' at position 5; known constants: pi, e", 5],
    ["a function used as a name", "sqrt + 1", "it is a function; call it like sqrt(2)", 1],
    ["too many arguments", "sqrt(1, 2)", "sqrt at position 1 takes 1 argument, got 2", 1],
    ["an empty argument list", "max()", "unexpected ')' at position 5", 5],
    ["bad decimal places", "round(1.5, 0.5)", "whole number from 0 to 15", 1],
    ["division by zero", "1 / (2 - 2)", "division by zero at position 3", 3],
    ["modulo by zero", "5 % 0", "division by zero at position 3", 3],
    ["a square root of a negative", "sqrt(-1)", "the result of sqrt at position 1 is not a real number", 1],
    ["a logarithm of zero", "ln(0)", "the result of ln at position 1 is too large", 1],
    ["an overflowing power", "10 ^ 400", "the result of '^' at position 4 is too large", 4],
    ["an overflowing literal", "1e999", "the number 1e999 at position 1 is too large", 1],
    ["an overflowing product", "1e300 * 1e300", "the result of '*' at position 7 is too large", 7],
  ])("rejects %s", (_, source, message, position) => {
    it(`${JSON.stringify(source)} with "${message}"`, () => {
      const error = errorOf(source);
      expect(error.message).toContain(message);
      expect(error.position).toBe(position);
    });
  });

  describe.each([
    ["deep parentheses", `${"(".repeat(90)}1${")".repeat(90)}`],
    ["a long chain of signs", `${"-".repeat(150)}1`],
    ["a tower of powers", Array.from({ length: 60 }, () => "2").join("^")],
    ["nested calls", `${"abs(".repeat(35)}1${")".repeat(35)}`],
  ])("stops %s at the depth limit", (_, source) => {
    it("with an error instead of a stack overflow", () => {
      expect(errorOf(source).message).toMatch(/nested too deeply at position \d+; the limit is 32 levels/);
    });
  });

  it("rejects an expression over the length limit before parsing it", () => {
    const error = errorOf(`${"(".repeat(10_000)}1`);
    expect(error.message).toBe("the expression is 10001 characters long; the limit is 200");
  });

  it("reports the depth limit, not a stack overflow, when the length limit is lifted", () => {
    const source = `${"(".repeat(50_000)}1${")".repeat(50_000)}`;
    expect(errorOf(source, { maxLength: Infinity }).message).toContain("nested too deeply");
  });

  it("honours custom limits", () => {
    expect(errorOf("1 + 2 + 3", { maxLength: 5 }).message).toContain("the limit is 5");
    expect(errorOf("((1))", { maxDepth: 1 }).message).toContain("the limit is 1 levels");
    expect(evaluateExpression("(1)", { maxDepth: 1 })).toBe(1);
  });

  it("accepts a long flat sum, since only nesting costs stack", () => {
    expect(evaluateExpression(Array.from({ length: 100 }, () => "1").join("+"))).toBe(100);
  });
});
