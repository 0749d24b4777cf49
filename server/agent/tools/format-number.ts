/** Digits shown for a result that is not a whole number: enough for any practical answer, few
 * enough to hide binary floating-point noise (0.1 + 0.2 shows as 0.3). */
const significantDigits = 12;

/** From here on, plain notation would print zeros in place of digits a double no longer holds. */
const exponentThreshold = 1e15;

/**
 * Formats a calculator result for the model: whole numbers exactly and without a decimal point
 * ("391"), anything else rounded to 12 significant digits ("0.3", "3.14159265359", "1.5e-7"),
 * and numbers too large to be exact in exponent form ("9.00719925474e+15").
 */
export function formatNumber(value: number): string {
  if (Number.isSafeInteger(value)) {
    // String(-0) is "0" already; no sign to strip.
    return String(value);
  }
  const rounded = Number(value.toPrecision(significantDigits));
  return Math.abs(rounded) >= exponentThreshold ? rounded.toExponential() : String(rounded);
}
