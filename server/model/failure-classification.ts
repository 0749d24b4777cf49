import { AttemptTimeoutError } from "./attempt-signal.js";

/**
 * How the gateway treats a failed model call: retry it, count it against the
 * model's health, or neither. One place, so the retry and the breaker agree.
 */

/** HTTP status of a provider error, when it has one. */
export function statusOf(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "status" in err && typeof err.status === "number"
    ? err.status
    : undefined;
}

/**
 * A model fault: the provider is overloaded, broken or unreachable. These are
 * retried and count against the model's circuit breaker. A 400, 401, 403,
 * 404 or 422 means the request or the configuration is wrong: retrying or
 * trying again later cannot help, so they are neither.
 */
export function isModelFault(err: unknown): boolean {
  if (err instanceof MidStreamError || err instanceof AttemptTimeoutError) {
    return true;
  }
  const status = statusOf(err);
  if (status !== undefined) {
    return status === 408 || status === 409 || status === 429 || status >= 500;
  }
  const name = typeof err === "object" && err !== null && "name" in err ? err.name : undefined;
  // Refused or reset connections, timeouts of an attempt, and bodies or SSE
  // events that do not parse are all transient faults of the provider.
  return (
    name === "APIConnectionError" ||
    name === "APIConnectionTimeoutError" ||
    name === "TimeoutError" ||
    name === "EmptyResponseError" ||
    err instanceof SyntaxError
  );
}

/** Whether another attempt on the same model may succeed. */
export function isRetryable(err: unknown): boolean {
  // Text already reached the caller: a retry would repeat it, so the turn
  // restarts on the next model instead.
  return !(err instanceof MidStreamError) && isModelFault(err);
}

/**
 * The wait a provider asked for with `retry-after-ms` (OpenAI) or
 * `Retry-After` (seconds or an HTTP date), in milliseconds.
 */
export function retryAfterMsOf(err: unknown, now: () => number = Date.now): number | undefined {
  if (typeof err !== "object" || err === null || !("headers" in err)) {
    return undefined;
  }
  const headers = err.headers;
  const get = (name: string): string | null | undefined => {
    if (headers instanceof Headers) {
      return headers.get(name);
    }
    if (typeof headers === "object" && headers !== null && name in headers) {
      const value: unknown = (headers as Record<string, unknown>)[name];
      return typeof value === "string" ? value : undefined;
    }
    return undefined;
  };
  const ms = Number(get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) {
    return ms;
  }
  const value = get("retry-after");
  if (value === null || value === undefined) {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/** A model failed after part of its answer had been streamed to the caller. */
export class MidStreamError extends Error {
  override readonly name = "MidStreamError";
  constructor(override readonly cause: unknown) {
    super("the model failed after it had started streaming", { cause });
  }
}
