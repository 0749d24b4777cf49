import { createErrorBrand } from "./error-brand.js";

/** The signal one model attempt runs under. */
export interface AttemptSignal {
  /** Aborts with the parent, or when the attempt's time is up. */
  readonly signal: AbortSignal;
  /** True when the attempt's own time ran out (not the parent's). */
  timedOut(): boolean;
  /**
   * Stops the attempt's clock until the returned function is called. Time the
   * attempt spends waiting for a slow caller to take what the model already
   * sent is not the model's: without this, a reader that stalls would time a
   * healthy model out and count it against its breaker.
   */
  pauseClock(): () => void;
  /** Clears the timer and the listener on the parent. */
  dispose(): void;
}

/** Links a parent signal with a per-attempt timeout, like connect-es `createLinkedAbortController`. */
export function createAttemptSignal(parent: AbortSignal, timeoutMs: number, now: () => number = Date.now): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  let disposed = false;
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) {
    controller.abort(parent.reason);
  } else {
    parent.addEventListener("abort", onAbort, { once: true });
  }
  let remainingMs = timeoutMs;
  let startedAt = now();
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    startedAt = now();
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new AttemptTimeoutError(timeoutMs));
    }, remainingMs);
  };
  start();
  let pauses = 0;
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    pauseClock() {
      if (pauses++ === 0 && timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
        remainingMs = Math.max(0, remainingMs - (now() - startedAt));
      }
      let resumed = false;
      return () => {
        if (resumed) {
          return;
        }
        resumed = true;
        if (--pauses === 0 && !disposed && !controller.signal.aborted) {
          start();
        }
      };
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
      parent.removeEventListener("abort", onAbort);
    },
  };
}

const attemptTimeoutBrand = createErrorBrand<AttemptTimeoutError>("AttemptTimeoutError");

/** One attempt on a model took longer than its timeout. */
export class AttemptTimeoutError extends Error {
  override readonly name = "AttemptTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    attemptTimeoutBrand.mark(this);
  }
}

/** True when `err` is an {@link AttemptTimeoutError}, from any copy of this package. */
export const isAttemptTimeoutError = attemptTimeoutBrand.is;
