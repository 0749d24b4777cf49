/**
 * A bounded push-to-pull bridge: one producer pushes, one consumer iterates.
 * Like a Node `Writable`, `push` says whether there is room for more, and the
 * producer awaits {@link AsyncQueue.drained} before it pushes again, so a
 * consumer that reads slowly slows the producer down (and, through it, the
 * read of the model's HTTP body) instead of letting items pile up.
 */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  /**
   * Queues `item`; returns false when the queue is now full and the producer
   * should await {@link AsyncQueue.drained}. After the consumer has left, or
   * the queue is closed, items are dropped and it returns true.
   */
  push(item: T): boolean;
  /**
   * Resolves once there is room again, or the consumer has left, or the queue
   * is closed; rejects with `signal.reason` when `signal` aborts first.
   */
  drained(signal?: AbortSignal): Promise<void>;
  /** Ends the iteration after the queued items; with an error, throws it instead. */
  close(error?: unknown): void;
}

/** Options of {@link createAsyncQueue}. */
export interface AsyncQueueOptions<T> {
  /** Items held before `push` returns false. Default 16. */
  readonly capacity?: number;
  /**
   * Merges the items queued when the consumer asks for the next one into one
   * item, in order. Default: none, items are handed over one by one. With
   * it, a consumer that falls behind catches up in one step instead of one per
   * item, so the cost per item falls exactly when there is no time to spare;
   * a consumer that keeps up sees every item as it came, with no added wait.
   */
  readonly coalesce?: (items: readonly T[]) => T;
}

/**
 * Creates a bounded queue. Used where a promise-based policy (a retry around
 * a whole model call) must hand streamed chunks to a generator as they
 * arrive. Its own, not a Node stream: items are handed over one by one with
 * no per-item promise while there is room, and the consumer leaving early
 * (`return()` on its iterator) releases a waiting producer.
 */
export function createAsyncQueue<T>(options: AsyncQueueOptions<T> = {}): AsyncQueue<T> {
  const capacity = Math.max(1, options.capacity ?? 16);
  const { coalesce } = options;
  const items: T[] = [];
  // Read position in `items`: shifting an array per item is linear in its length.
  let head = 0;
  let closed = false;
  let consumerLeft = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const size = () => items.length - head;
  const notifyConsumer = () => {
    wakeConsumer?.();
    wakeConsumer = undefined;
  };
  const notifyProducer = () => {
    wakeProducer?.();
    wakeProducer = undefined;
  };
  const hasRoom = () => closed || consumerLeft || size() < capacity;
  const leave = () => {
    consumerLeft = true;
    items.length = 0;
    head = 0;
    notifyProducer();
  };

  const iterator: AsyncIterator<T, undefined> = {
    async next(): Promise<IteratorResult<T, undefined>> {
      for (;;) {
        if (consumerLeft) {
          return { done: true, value: undefined };
        }
        if (size() > 1 && coalesce !== undefined) {
          const merged = coalesce(head === 0 ? items : items.slice(head));
          items.length = 0;
          head = 0;
          notifyProducer();
          return { done: false, value: merged };
        }
        if (size() > 0) {
          const item = items[head] as T;
          items[head] = undefined as T;
          head += 1;
          if (head === items.length) {
            items.length = 0;
            head = 0;
          }
          notifyProducer();
          return { done: false, value: item };
        }
        if (closed) {
          consumerLeft = true;
          if (failure !== undefined) {
            throw failure.error;
          }
          return { done: true, value: undefined };
        }
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
      }
    },
    async return(): Promise<IteratorResult<T, undefined>> {
      leave();
      return { done: true, value: undefined };
    },
  };

  return {
    push(item) {
      if (closed || consumerLeft) {
        return true;
      }
      items.push(item);
      notifyConsumer();
      return size() < capacity;
    },
    drained(signal) {
      if (hasRoom()) {
        return Promise.resolve();
      }
      if (signal?.aborted === true) {
        return Promise.reject(signal.reason);
      }
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          wakeProducer = undefined;
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        wakeProducer = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
      });
    },
    close(error?: unknown) {
      if (!closed) {
        closed = true;
        failure = error === undefined ? undefined : { error };
        notifyConsumer();
        notifyProducer();
      }
    },
    [Symbol.asyncIterator]: () => iterator,
  };
}
