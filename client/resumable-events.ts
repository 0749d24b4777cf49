import type { StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { toAgentServiceError } from "./agent-error.js";
import { createEventSequence, type EventPosition } from "./event-sequence.js";
import type { AttemptOptions, RetrySchedule } from "./retry-schedule.js";

/**
 * Opens one attempt at a run's events: a Stream (or its repeat with the same
 * idempotency key) while the run is not known yet, a WatchRun after
 * `lastSeq` once it is. An attempt may replay events up to `lastSeq`.
 */
export type OpenEvents = (position: EventPosition, attempt: AttemptOptions) => AsyncIterable<StreamResponse>;

/** Options of {@link resumableEvents}. */
export interface ResumableEventsOptions {
  readonly open: OpenEvents;
  readonly schedule: RetrySchedule;
  /** Where the caller starts: no run and seq 0 for a new Stream; a run and a seq for a WatchRun. */
  readonly start: EventPosition;
  /**
   * Whether an attempt may be repeated before the run is known. False for a
   * Stream without an idempotency key: its repeat could run the task twice.
   */
  readonly canRepeatStart: boolean;
  /** Sees each event as it is passed on. Default none. */
  readonly onEvent?: (event: StreamResponse) => void;
}

/**
 * One run's events as one stream across broken connections: when an attempt
 * fails in a way the schedule retries, the next attempt continues after the
 * last event passed on, skipping what it replays. Every event reaches the
 * consumer once and in order; a gap in the seqs is thrown, never skipped.
 */
export async function* resumableEvents({ open, schedule, start, canRepeatStart, onEvent }: ResumableEventsOptions): AsyncGenerator<StreamResponse, void, undefined> {
  const sequence = createEventSequence(start);
  for (;;) {
    const events = open({ runId: sequence.runId, lastSeq: sequence.lastSeq }, schedule.attempt())[Symbol.asyncIterator]();
    let failure: { readonly err: unknown } | undefined;
    try {
      for (;;) {
        let next: IteratorResult<StreamResponse>;
        try {
          next = await events.next();
        } catch (err) {
          failure = { err };
          break;
        }
        if (next.done === true) {
          sequence.end();
          return;
        }
        if (sequence.accept(next.value)) {
          schedule.progress();
          onEvent?.(next.value);
          yield next.value;
        }
      }
    } finally {
      // A consumer that stops reading, or a broken sequence, ends the attempt's call.
      if (failure === undefined) {
        await events.return?.();
      }
    }
    if (sequence.runId === undefined && !canRepeatStart) {
      throw toAgentServiceError(failure.err);
    }
    await schedule.retry(failure.err, { followingRun: sequence.runId !== undefined });
  }
}
