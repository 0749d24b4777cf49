import { describe, expect, it } from "vitest";
import { formatNumber } from "./format-number.js";

describe.each([
  ["a whole number without a decimal point", 391, "391"],
  ["a negative whole number", -12, "-12"],
  ["negative zero as zero", -0, "0"],
  ["floating-point noise away", 0.1 + 0.2, "0.3"],
  ["a short decimal as is", 2.5, "2.5"],
  ["an irrational number to 12 significant digits", Math.PI, "3.14159265359"],
  ["a small number in exponent form", 1.5e-7, "1.5e-7"],
  ["the largest exact integer exactly", Number.MAX_SAFE_INTEGER, "9007199254740991"],
  ["a larger integer in exponent form, not with invented zeros", 2 ** 53 + 2, "9.00719925474e+15"],
  ["a huge number in exponent form", 1e21, "1e+21"],
])("formatNumber", (behaviour, value, expected) => {
  it(`prints ${behaviour}`, () => {
    expect(formatNumber(value)).toBe(expected);
  });
});
