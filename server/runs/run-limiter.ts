/** The server has as many runs in flight and waiting as it allows. */
export class RunCapacityError extends Error {
  override readonly name = "RunCapacityError";
  constructor(
    readonly inFlight: number,
    readonly queued: number,
  ) {
    super(`the server is at capacity (${inFlight} runs in flight, ${queued} waiting); retry with backoff`);
  }
}

/** True when `err` is a {@link RunCapacityError}. */
export function isRunCapacityError(err: unknown): err is RunCapacityError {
  return err instanceof RunCapacityError;
}

/** Options for {@link createRunLimiter}. */
export interface RunLimiterOptions {
  /** Runs that may execute at once. */
  readonly maxConcurrent: number;
  /** Runs that may wait for a slot; beyond that, new runs are refused. */
  readonly maxQueued: number;
}

/** Bounds the runs a replica executes at once, queueing a few more in order. */
export interface RunLimiter {
  /**
   * Waits for a slot and returns the function that frees it. Rejects with a
   * {@link RunCapacityError} when the queue is full, or with the signal's
   * reason when the caller gives up while waiting.
   */
  acquire(signal: AbortSignal): Promise<() => void>;
  /** Runs executing now. */
  inFlight(): number;
  /** Runs waiting for a slot: the load signal an autoscaler reads. */
  queued(): number;
}

/** Creates a run limiter: a counting semaphore with a bounded FIFO queue. */
export function createRunLimiter(options: RunLimiterOptions): RunLimiter {
  let running = 0;
  const waiting: { grant: () => void }[] = [];

  const release = () => {
    const next = waiting.shift();
    if (next === undefined) {
      running--;
    } else {
      // The slot passes straight to the next waiter.
      next.grant();
    }
  };
  const releaseOnce = () => {
    let released = false;
    return () => {
      if (!released) {
        released = true;
        release();
      }
    };
  };

  return {
    acquire(signal) {
      signal.throwIfAborted();
      if (running < options.maxConcurrent) {
        running++;
        return Promise.resolve(releaseOnce());
      }
      if (waiting.length >= options.maxQueued) {
        return Promise.reject(new RunCapacityError(running, waiting.length));
      }
      return new Promise((resolve, reject) => {
        const entry = {
          grant: () => {
            signal.removeEventListener("abort", onAbort);
            resolve(releaseOnce());
          },
        };
        const onAbort = () => {
          const index = waiting.indexOf(entry);
          if (index >= 0) {
            waiting.splice(index, 1);
          }
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiting.push(entry);
      });
    },
    inFlight: () => running,
    queued: () => waiting.length,
  };
}
