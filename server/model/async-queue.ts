/** A push-to-pull bridge: a producer pushes, one consumer iterates. */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(item: T): void;
  /** Ends the iteration after the queued items; with an error, throws it instead. */
  close(error?: unknown): void;
}

/**
 * Creates an unbounded queue. Used where a promise-based policy (a retry
 * around a whole model call) must hand streamed chunks to a generator as they
 * arrive; the producer never outpaces the model, so no bound is needed.
 */
export function createAsyncQueue<T>(): AsyncQueue<T> {
  const items: T[] = [];
  let closed = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item) {
      if (!closed) {
        items.push(item);
        notify();
      }
    },
    close(error?: unknown) {
      if (!closed) {
        closed = true;
        failure = error === undefined ? undefined : { error };
        notify();
      }
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const item = items.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (closed) {
          if (failure !== undefined) {
            throw failure.error;
          }
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
