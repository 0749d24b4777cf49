/**
 * Runs one operation per key for all concurrent callers of that key. Each
 * caller may leave early through its own AbortSignal; the operation's signal
 * aborts only when every caller has left.
 */
export interface RequestCoalescer<R> {
  /**
   * Joins the operation in flight for `key`, or starts one with `start`.
   * `joined` says which. `result` settles like the operation, or rejects with
   * `signal.reason` when this caller's signal aborts first.
   */
  join(key: string, start: (signal: AbortSignal) => Promise<R>, signal?: AbortSignal): { joined: boolean; result: Promise<R> };
  /** Number of operations in flight. */
  readonly size: number;
}

interface Flight<R> {
  readonly result: Promise<R>;
  readonly controller: AbortController;
  /** Callers still waiting for `result`. */
  waiters: number;
}

/** Creates an empty coalescer. */
export function createRequestCoalescer<R>(): RequestCoalescer<R> {
  const flights = new Map<string, Flight<R>>();

  function forget(key: string, flight: Flight<R>): void {
    if (flights.get(key) === flight) {
      flights.delete(key);
    }
  }

  function leave(key: string, flight: Flight<R>, reason: unknown): void {
    flight.waiters--;
    if (flight.waiters === 0) {
      // Nobody wants the result any more: later callers start afresh instead
      // of joining an operation that is being cancelled.
      forget(key, flight);
      flight.controller.abort(reason);
    }
  }

  function launch(key: string, start: (signal: AbortSignal) => Promise<R>): Flight<R> {
    const controller = new AbortController();
    const flight: Flight<R> = { result: run(start, controller.signal), controller, waiters: 0 };
    flights.set(key, flight);
    // Also marks the result handled, so a failure nobody waits for any more
    // is not reported as an unhandled rejection.
    flight.result.then(
      () => forget(key, flight),
      () => forget(key, flight),
    );
    return flight;
  }

  function wait(key: string, flight: Flight<R>, signal: AbortSignal | undefined): Promise<R> {
    if (signal === undefined) {
      return flight.result;
    }
    return new Promise<R>((resolve, reject) => {
      const onAbort = () => {
        leave(key, flight, signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      flight.result.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  }

  return {
    join(key, start, signal) {
      if (signal?.aborted) {
        return { joined: false, result: Promise.reject(signal.reason) };
      }
      const inFlight = flights.get(key);
      const flight = inFlight ?? launch(key, start);
      flight.waiters++;
      return { joined: inFlight !== undefined, result: wait(key, flight, signal) };
    },
    get size() {
      return flights.size;
    },
  };
}

function run<R>(start: (signal: AbortSignal) => Promise<R>, signal: AbortSignal): Promise<R> {
  try {
    return start(signal);
  } catch (err) {
    return Promise.reject(err);
  }
}
