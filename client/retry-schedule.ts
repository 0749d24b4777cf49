import { Code, ConnectError } from "@connectrpc/connect";
import { abortableDelay } from "./abortable-delay.js";
import { toAgentServiceError } from "./agent-error.js";
import { classifyCallFailure, type CallFailureContext } from "./call-failure.js";

/** Retries of a failed call when neither the call nor the client says. */
export const defaultRetries = 2;

/** Options of {@link createRetrySchedule}. */
export interface RetryScheduleOptions {
  /** Failed attempts in a row that are tried again; 0 tries once. */
  readonly retries: number;
  /** Deadline of the whole call, every attempt and wait included, in milliseconds from now. Default none. */
  readonly timeoutMs?: number | undefined;
  /** The caller's signal: once aborted, nothing is retried and a wait ends at once. Default none. */
  readonly signal?: AbortSignal | undefined;
  /** True once the client is closed: its calls fail for good. Default never. */
  readonly closed?: () => boolean;
  /** Backoff before the first retry: between half of it and all of it. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Backoff doubles per failure in a row up to this. Default 5,000 ms. */
  readonly maxDelayMs?: number;
  /** Random numbers in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  readonly now?: () => number;
}

/** What one attempt of a call gets: the time left to the call's deadline, and the caller's signal. */
export interface AttemptOptions {
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** The retries of one logical call: a budget of failures in a row, a deadline and a signal. */
export interface RetrySchedule {
  /** Options for the next attempt. */
  attempt(): AttemptOptions;
  /** The call made progress (an event arrived): the count of failures in a row starts again. */
  progress(): void;
  /**
   * Decides on a failed attempt: waits out the backoff (at least the
   * service's retry-after) and resolves when the call should try again;
   * throws the failure as an `AgentServiceError` when it should not: not
   * retryable, no retries left, the wait would pass the deadline, the caller
   * aborted (then CANCELED) or the client was closed.
   */
  retry(err: unknown, context: CallFailureContext): Promise<void>;
}

/**
 * Creates the retry schedule of one call: exponential backoff with jitter
 * (so that callers cut off together do not come back together), honouring
 * the service's retry-after, never past the call's deadline or its abort.
 * cockatiel's retry policy would do the backoff, but not the resumable
 * streams, whose budget restarts whenever an event arrives.
 */
export function createRetrySchedule(options: RetryScheduleOptions): RetrySchedule {
  const { retries, signal } = options;
  const closed = options.closed ?? (() => false);
  const initialDelayMs = options.initialDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => performance.now());
  const deadline = options.timeoutMs === undefined ? undefined : now() + options.timeoutMs;
  let failures = 0;

  return {
    attempt() {
      return { timeoutMs: deadline === undefined ? undefined : Math.max(0, Math.ceil(deadline - now())), signal };
    },
    progress() {
      failures = 0;
    },
    async retry(err, context) {
      const error = toAgentServiceError(err);
      if (signal?.aborted === true || closed()) {
        throw error;
      }
      failures += 1;
      const verdict = classifyCallFailure(error, context);
      if (!verdict.retryable || failures > retries) {
        throw error;
      }
      const cap = Math.min(maxDelayMs, initialDelayMs * 2 ** (failures - 1));
      const waitMs = Math.max(verdict.retryAfterMs ?? 0, cap / 2 + (random() * cap) / 2);
      if (deadline !== undefined && now() + waitMs >= deadline) {
        // The next attempt could not even start in time: the caller gets the real failure, not a deadline.
        throw error;
      }
      try {
        await abortableDelay(waitMs, signal);
      } catch {
        throw toAgentServiceError(ConnectError.from(signal?.reason, Code.Canceled));
      }
    },
  };
}

/** Checks a `retries` option: a whole number, 0 or more. */
export function checkRetries(retries: number, where: string): number {
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(`${where}: retries must be a whole number, 0 or more, got ${retries}`);
  }
  return retries;
}
