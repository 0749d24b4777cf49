import { createErrorBrand } from "../errors/error-brand.js";

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
  // The clock is a deadline, moved later by each pause. The timer is not
  // re-armed per pause: a caller that is often briefly behind pauses once per
  // chunk, so the timer checks the deadline when it fires instead.
  let deadline = now() + timeoutMs;
  let pausedAt = 0;
  let pauses = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = (delayMs: number) => {
    timer = setTimeout(onTimer, delayMs);
  };
  const onTimer = () => {
    timer = undefined;
    if (disposed || controller.signal.aborted || pauses > 0) {
      // Paused: the resume re-arms for what is left.
      return;
    }
    const leftMs = deadline - now();
    if (leftMs > 0) {
      arm(leftMs);
      return;
    }
    timedOut = true;
    controller.abort(new AttemptTimeoutError(timeoutMs));
  };
  arm(timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    pauseClock() {
      if (pauses++ === 0) {
        pausedAt = now();
      }
      let resumed = false;
      return () => {
        if (resumed) {
          return;
        }
        resumed = true;
        if (--pauses === 0) {
          deadline += now() - pausedAt;
          if (timer === undefined && !disposed && !controller.signal.aborted) {
            arm(Math.max(0, deadline - now()));
          }
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
