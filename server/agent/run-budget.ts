/** The run's time limit ran out. */
export class RunTimeLimitError extends Error {
  override readonly name = "RunTimeLimitError";
  constructor(readonly limitMs: number) {
    super(`the run used its time limit of ${limitMs} ms`);
  }
}

/** The run is over; anything of it still in flight must stop. */
export class RunEndedError extends Error {
  override readonly name = "RunEndedError";
  constructor() {
    super("the run has ended");
  }
}

/** True when `err` is a {@link RunTimeLimitError}. */
export function isRunTimeLimitError(err: unknown): err is RunTimeLimitError {
  return err instanceof RunTimeLimitError;
}

/** The signal a run works under, and how to release it. */
export interface RunBudget {
  /** Aborts when the caller's signal does, or with {@link RunTimeLimitError} when time is up. */
  readonly signal: AbortSignal;
  /** Releases the timer and the listener, and aborts anything of the run still in flight. */
  dispose(): void;
  /**
   * Releases the timer and the listener of a run that ended normally, when
   * nothing of it is in flight by construction: there is nothing to abort,
   * and an abort reason is an error built (stack and all) for nobody.
   */
  release(): void;
}

/**
 * Links the caller's signal with the run's time limit into the one signal
 * that reaches every model call and tool of the run. The timer and the
 * listener are released on dispose, so a finished run leaves nothing behind.
 */
export function createRunBudget(parent: AbortSignal, limitMs: number): RunBudget {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) {
    controller.abort(parent.reason);
  } else {
    parent.addEventListener("abort", onAbort, { once: true });
  }
  const timer = setTimeout(() => controller.abort(new RunTimeLimitError(limitMs)), limitMs);
  const release = () => {
    clearTimeout(timer);
    parent.removeEventListener("abort", onAbort);
  };
  return {
    signal: controller.signal,
    release,
    dispose() {
      release();
      // Whatever of the run is still in flight (the consumer stopped reading
      // before the caller's signal fired) stops now.
      if (!controller.signal.aborted) {
        controller.abort(new RunEndedError());
      }
    },
  };
}
