import { isValidTimeoutMs } from "./call-with-timeout.js";
import type { ToolRegistry } from "./tool-registry.js";

/**
 * Options for {@link createToolRunner}.
 */
export interface ToolRunnerOptions {
  /** The tools calls are resolved against. */
  readonly registry: ToolRegistry;
  /**
   * Timeout in milliseconds for a call to a tool that sets no `timeoutMs` of its own.
   * @defaultValue 10_000
   */
  readonly defaultTimeoutMs?: number;
  /**
   * The longest result, in characters, passed back to the model; a longer one is cut there and
   * a marker saying how much was left out is appended. Keeps one chatty tool from filling the
   * model's context.
   * @defaultValue 16_000
   */
  readonly maxResultChars?: number;
  /**
   * The clock durations are measured with, in milliseconds.
   * @defaultValue `performance.now()`
   */
  readonly clock?: () => number;
}

/**
 * {@link ToolRunnerOptions} with every default applied.
 */
export type ResolvedToolRunnerOptions = Readonly<Required<ToolRunnerOptions>>;

/**
 * Applies the defaults of {@link ToolRunnerOptions} and checks the values, throwing a
 * `RangeError` that names the option when one is out of range.
 */
export function resolveToolRunnerOptions(options: ToolRunnerOptions): ResolvedToolRunnerOptions {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 10_000;
  if (!isValidTimeoutMs(defaultTimeoutMs)) {
    throw new RangeError(
      `defaultTimeoutMs must be a positive number of milliseconds up to 2147483647, got ${defaultTimeoutMs}`,
    );
  }
  const maxResultChars = options.maxResultChars ?? 16_000;
  if (!Number.isSafeInteger(maxResultChars) || maxResultChars < 1) {
    throw new RangeError(`maxResultChars must be a positive whole number, got ${maxResultChars}`);
  }
  return Object.freeze({
    registry: options.registry,
    defaultTimeoutMs,
    maxResultChars,
    // Looked up on each call rather than bound now, so a clock installed later (fake timers) applies.
    clock: options.clock ?? (() => performance.now()),
  });
}
