/** The signal one model attempt runs under. */
export interface AttemptSignal {
  /** Aborts with the parent, or when the attempt's time is up. */
  readonly signal: AbortSignal;
  /** True when the attempt's own time ran out (not the parent's). */
  timedOut(): boolean;
  /** Clears the timer and the listener on the parent. */
  dispose(): void;
}

/** Links a parent signal with a per-attempt timeout, like connect-es `createLinkedAbortController`. */
export function createAttemptSignal(parent: AbortSignal, timeoutMs: number): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) {
    controller.abort(parent.reason);
  } else {
    parent.addEventListener("abort", onAbort, { once: true });
  }
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new AttemptTimeoutError(timeoutMs));
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener("abort", onAbort);
    },
  };
}

/** One attempt on a model took longer than its timeout. */
export class AttemptTimeoutError extends Error {
  override readonly name = "AttemptTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}
