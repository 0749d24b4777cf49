/**
 * Marks the errors of one class so that a guard recognises them even when two
 * copies of this package are loaded (two `instanceof` targets), the way
 * cockatiel brands `BrokenCircuitError`. The mark is a registered symbol
 * (`Symbol.for`), shared by every copy.
 */
export interface ErrorBrand<T extends Error> {
  /** Marks `error`; call it in the constructor. */
  mark(error: T): void;
  /** True when `value` carries this brand. */
  is(value: unknown): value is T;
}

/** Creates the brand of the error class `className`. */
export function createErrorBrand<T extends Error>(className: string): ErrorBrand<T> {
  const symbol = Symbol.for(`agent-service.${className}`);
  return {
    mark(error) {
      // Non-enumerable, so it never shows up in logged or serialised errors.
      Object.defineProperty(error, symbol, { value: true });
    },
    is(value): value is T {
      return typeof value === "object" && value !== null && Object.getOwnPropertyDescriptor(value, symbol)?.value === true;
    },
  };
}
