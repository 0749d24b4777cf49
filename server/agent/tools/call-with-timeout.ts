/**
 * The longest delay `setTimeout` honours; anything longer fires at once.
 */
const maxTimerDelayMs = 2_147_483_647;

/**
 * Whether `value` is a timeout this module can enforce: a positive number of milliseconds that
 * a timer can wait.
 */
export function isValidTimeoutMs(value: number): boolean {
  return Number.isFinite(value) && value > 0 && value <= maxTimerDelayMs;
}

/**
 * How a call with a timeout ended when it did not throw.
 */
export type TimedCallResult<T> =
  | { readonly timedOut: false; readonly value: T }
  | { readonly timedOut: true };

/**
 * Calls `task` with a signal that aborts when `signal` aborts or `timeoutMs` elapses, and stops
 * waiting at that moment even if the task ignores its signal: a hung task is abandoned, not
 * awaited.
 *
 * Resolves with the task's value, or `{ timedOut: true }` when the timeout won. Rejects with
 * `signal.reason` when the caller's signal aborts (before or during the call), and with the
 * task's error when the task fails first. The timer and the listener on `signal` are removed
 * before it settles.
 */
export async function callWithTimeout<T>(
  task: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<TimedCallResult<T>> {
  signal.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;

  const abortFromCaller = (): void => {
    controller.abort(signal.reason);
  };
  signal.addEventListener("abort", abortFromCaller, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    // The same reason AbortSignal.timeout() gives, so tools can tell a timeout from a cancellation.
    controller.abort(new DOMException(`The call did not finish within ${timeoutMs} ms`, "TimeoutError"));
  }, timeoutMs);

  // Subscribed before the task starts so that, when the signal aborts, this promise settles before
  // a task that reacts to the abort by resolving with partial output: the abort decides the outcome.
  // The listener is on our own signal, which nothing can abort once `finally` has run, so unlike
  // the caller's signal it needs no removal.
  const abandoned = new Promise<never>((_, reject) => {
    controller.signal.addEventListener(
      "abort",
      () => {
        reject(controller.signal.reason);
      },
      { once: true },
    );
  });

  try {
    // Async wrapper: a task that throws synchronously rejects instead of escaping the race.
    const running = (async () => task(controller.signal))();
    const value = await Promise.race([running, abandoned]);
    return { timedOut: false, value };
  } catch (error) {
    if (signal.aborted) {
      throw signal.reason;
    }
    if (timedOut) {
      return { timedOut: true };
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", abortFromCaller);
  }
}
