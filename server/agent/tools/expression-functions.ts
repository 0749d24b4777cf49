/**
 * The functions and constants a calculator expression may use. Names are matched
 * case-insensitively; trigonometry is in radians.
 */

/**
 * A function callable from an expression.
 */
export interface ExpressionFunction {
  /** Fewest arguments accepted. */
  readonly minArgs: number;
  /** Most arguments accepted; `Infinity` for as many as given. */
  readonly maxArgs: number;
  /** Returns why `args` are unacceptable, or `undefined` when they are fine. */
  readonly check?: (args: readonly number[]) => string | undefined;
  /** Computes the result; the caller rejects a result that is not finite. */
  readonly apply: (args: readonly number[]) => number;
}

const one = (apply: (x: number) => number): ExpressionFunction => ({
  minArgs: 1,
  maxArgs: 1,
  apply: (args) => apply(args[0] ?? Number.NaN),
});

/** Most decimal places `round` accepts; beyond that a double has no digits left to round. */
const maxRoundDigits = 15;

/**
 * Functions by lower-case name.
 */
export const expressionFunctions: ReadonlyMap<string, ExpressionFunction> = new Map<string, ExpressionFunction>([
  ["sqrt", one(Math.sqrt)],
  ["cbrt", one(Math.cbrt)],
  ["abs", one(Math.abs)],
  ["floor", one(Math.floor)],
  ["ceil", one(Math.ceil)],
  ["trunc", one(Math.trunc)],
  [
    "round",
    {
      minArgs: 1,
      maxArgs: 2,
      check: ([, digits = 0]) =>
        Number.isInteger(digits) && digits >= 0 && digits <= maxRoundDigits
          ? undefined
          : `the number of decimal places must be a whole number from 0 to ${maxRoundDigits}`,
      apply: ([x = Number.NaN, digits = 0]) => roundHalfAwayFromZero(x, digits),
    },
  ],
  ["min", { minArgs: 1, maxArgs: Infinity, apply: (args) => Math.min(...args) }],
  ["max", { minArgs: 1, maxArgs: Infinity, apply: (args) => Math.max(...args) }],
  [
    "log",
    {
      minArgs: 1,
      maxArgs: 2,
      // One argument is base 10, as on a pocket calculator; ln is the natural logarithm.
      apply: ([x = Number.NaN, base]) => (base === undefined ? Math.log10(x) : Math.log(x) / Math.log(base)),
    },
  ],
  ["ln", one(Math.log)],
  ["exp", one(Math.exp)],
  ["sin", one(Math.sin)],
  ["cos", one(Math.cos)],
  ["tan", one(Math.tan)],
  ["asin", one(Math.asin)],
  ["acos", one(Math.acos)],
  ["atan", one(Math.atan)],
]);

/**
 * Constants by lower-case name.
 */
export const expressionConstants: ReadonlyMap<string, number> = new Map([
  ["pi", Math.PI],
  ["e", Math.E],
]);

function roundHalfAwayFromZero(x: number, digits: number): number {
  const scale = 10 ** digits;
  // toPrecision(15) undoes the representation error of the scaling (1.005 * 100 is
  // 100.49999999999999), so round(1.005, 2) is 1.01 as a person expects. Math.round alone would
  // also round -2.5 to -2; people expect -3.
  const scaled = Number((Math.abs(x) * scale).toPrecision(15));
  return (Math.sign(x) * Math.round(scaled)) / scale;
}
