/**
 * Thrown when an arithmetic expression cannot be evaluated: bad syntax, an unknown name, division
 * by zero, a result that is not a finite number, or an expression over the length or nesting
 * limits. The message is written for whoever wrote the expression and includes the position.
 */
export class ExpressionError extends Error {
  override readonly name = "ExpressionError";

  constructor(
    message: string,
    /** Where the problem is: a 1-based character position in the expression. */
    readonly position: number,
  ) {
    super(message);
  }
}

/**
 * Whether `value` is an {@link ExpressionError}.
 */
export function isExpressionError(value: unknown): value is ExpressionError {
  return value instanceof ExpressionError;
}
