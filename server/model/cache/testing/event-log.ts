import type { CacheEvent } from "../response-cache-options.js";

/** Records cache events and lets a test await them in order. */
export interface EventLog {
  /** Pass as the cache's `onEvent`. */
  readonly onEvent: (event: CacheEvent) => void;
  readonly events: readonly CacheEvent[];
  /**
   * Resolves with the first matching event not consumed by an earlier call,
   * whether it already happened or happens later. Consuming in order means a
   * test can wait for "degraded" then "ready" without missing either.
   */
  next(matches: (event: CacheEvent) => boolean): Promise<CacheEvent>;
  /** How many recorded events match. */
  count(matches: (event: CacheEvent) => boolean): number;
}

/** Matches an `l2-state` event with the given state. */
export const l2State =
  (state: "ready" | "degraded") =>
  (event: CacheEvent): boolean =>
    event.type === "l2-state" && event.state === state;

/** Creates an empty event log. */
export function createEventLog(): EventLog {
  const events: CacheEvent[] = [];
  let cursor = 0;
  let waiting: { matches: (event: CacheEvent) => boolean; resolve: (event: CacheEvent) => void } | undefined;

  function consume(matches: (event: CacheEvent) => boolean): CacheEvent | undefined {
    for (let i = cursor; i < events.length; i++) {
      const event = events[i];
      if (event !== undefined && matches(event)) {
        cursor = i + 1;
        return event;
      }
    }
    return undefined;
  }

  return {
    events,
    onEvent(event) {
      events.push(event);
      if (waiting !== undefined) {
        const found = consume(waiting.matches);
        if (found !== undefined) {
          const { resolve } = waiting;
          waiting = undefined;
          resolve(found);
        }
      }
    },
    next(matches) {
      if (waiting !== undefined) {
        return Promise.reject(new Error("already waiting for an event"));
      }
      const found = consume(matches);
      if (found !== undefined) {
        return Promise.resolve(found);
      }
      return new Promise((resolve) => {
        waiting = { matches, resolve };
      });
    },
    count: (matches) => events.filter(matches).length,
  };
}
