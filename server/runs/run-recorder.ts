import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { RunEventRow, RunRow, RunStore } from "../store/index.js";

/** What the recorder reports, for metrics. */
export interface RunRecorderObserver {
  /** A batch was written, or failed to be (it stays queued and is tried again). */
  onWrite?(write: { readonly outcome: "ok" | "error"; readonly records: number }): void;
  /** Records were not queued because the queue was full. */
  onDropped?(dropped: { readonly kind: "run" | "event"; readonly count: number }): void;
}

/** Options of {@link createRunRecorder}. */
export interface RunRecorderOptions {
  readonly store: RunStore;
  readonly logger: Logger;
  readonly observer?: RunRecorderObserver;
  /** Records (run rows and event rows) held before new ones are dropped. Default 100,000. */
  readonly maxQueued?: number;
  /** Event payload bytes held before new events are dropped. Default 64 MiB. */
  readonly maxQueuedBytes?: number;
  /** Records per write. Default 1,000. */
  readonly maxBatch?: number;
  /**
   * How long the first record of a batch waits for others. Default 100 ms:
   * a write costs about 1 ms of fixed work on embedded PGlite, on the event
   * loop, so rows are written in few, large batches.
   */
  readonly flushDelayMs?: number;
  /** Wait before the first retry of a failed write; doubles up to {@link maxRetryDelayMs}. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Longest wait between retries while the store is down. Default 5,000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Called after each write with the runs it wrote records of: for watchers (see `RunSignals`). */
  readonly onStored?: (runIds: ReadonlySet<string>) => void;
}

/** Records runs behind the RPC: nothing it does makes a run wait or fail. */
export interface RunRecorder {
  /** Queues the run's row (the latest write of a run wins). */
  run(row: RunRow): void;
  /**
   * Queues one event of a run (a row of one event). Text deltas that follow
   * each other in the queue are packed into one row, up to 64 KiB.
   */
  event(row: RunEventRow): void;
  /**
   * Resolves once everything queued before the call is in the store: for a
   * read that must see what this replica just did. Rejects with the signal's
   * reason if it aborts first (the store may be down).
   */
  flush(signal?: AbortSignal): Promise<void>;
  /** Rows queued and not yet written. */
  queued(): number;
  /** True while the store refuses writes (the last write failed). */
  failing(): boolean;
  /**
   * Writes what is queued and stops, waiting at most `timeoutMs` for a store
   * that is down; resolves with the number of records it could not write.
   */
  close(timeoutMs: number): Promise<number>;
}

interface RunEntry {
  readonly kind: "run";
  ticket: number;
  readonly row: RunRow;
}

/** Queued events of one run: one, or consecutive text deltas packed into one row. */
interface EventEntry {
  readonly kind: "event";
  ticket: number;
  readonly first: RunEventRow;
  lastSeq: number;
  /** Payloads of the events after the first, when packed. */
  readonly more: Uint8Array[];
  bytes: number;
}

type Entry = RunEntry | EventEntry;

/** Event kinds packed into one row when they follow each other: a turn's text, chunk by chunk. */
const packedKinds: ReadonlySet<string> = new Set(["textDelta"]);

/** Largest packed row, in payload bytes. */
const maxPackedBytes = 64 * 1024;

function rowOf(entry: EventEntry): RunEventRow {
  if (entry.more.length === 0) {
    return entry.first;
  }
  return { ...entry.first, lastSeq: entry.lastSeq, payload: Buffer.concat([entry.first.payload, ...entry.more]) };
}

/**
 * Creates the write-behind recorder: records go into one FIFO queue, and one
 * writer at a time takes up to `maxBatch` of them into one transaction. A
 * failed write leaves its records at the head of the queue and is retried
 * with backoff, so order is kept and recording catches up once the store is
 * back; while it is down the queue grows to `maxQueued`, after which new
 * records are dropped, counted and logged (once per outage), never thrown.
 *
 * What a hard crash loses is what is queued: normally the last
 * `flushDelayMs` plus one write; while the store is down, up to `maxQueued`
 * records. A graceful shutdown ({@link RunRecorder.close}) writes it all.
 */
export function createRunRecorder(options: RunRecorderOptions): RunRecorder {
  const { store, logger, observer, onStored } = options;
  const maxQueued = options.maxQueued ?? 100_000;
  const maxQueuedBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024;
  const maxBatch = options.maxBatch ?? 1_000;
  const flushDelayMs = options.flushDelayMs ?? 100;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;

  let queue: Entry[] = [];
  let queuedBytes = 0;
  // Entries at the head of the queue that the write in flight holds: never packed into.
  let inFlight = 0;
  let issued = 0;
  let written = 0;
  let writing = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let droppedInOutage = 0;
  const waiters = new Set<{ readonly ticket: number; readonly resolve: () => void }>();

  const schedule = (delayMs: number) => {
    if (timer !== undefined || writing || queue.length === 0) {
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      void writeNext();
    }, delayMs);
    // A pending write never keeps the process alive on its own; close() flushes.
    timer.unref();
  };

  const full = (bytes: number) => queue.length >= maxQueued || queuedBytes + bytes > maxQueuedBytes;

  const drop = (kind: Entry["kind"]) => {
    if (droppedInOutage === 0) {
      logger.error(
        { queued: queue.length, queued_bytes: queuedBytes, max_queued: maxQueued, max_queued_bytes: maxQueuedBytes },
        "run store queue full: new run records are dropped until it drains",
      );
    }
    droppedInOutage += 1;
    observer?.onDropped?.({ kind, count: 1 });
  };

  const enqueue = (entry: Entry) => {
    queue.push(entry);
    schedule(queue.length >= maxBatch ? 0 : flushDelayMs);
  };

  const addEvent = (row: RunEventRow) => {
    const bytes = row.payload.length;
    if (full(bytes)) {
      drop("event");
      return;
    }
    queuedBytes += bytes;
    issued += 1;
    const tail = queue.length > inFlight ? queue[queue.length - 1] : undefined;
    if (
      tail?.kind === "event" &&
      packedKinds.has(row.kind) &&
      tail.first.kind === row.kind &&
      tail.first.runId === row.runId &&
      tail.lastSeq === row.seq - 1 &&
      tail.bytes + bytes <= maxPackedBytes
    ) {
      // The tail is not in flight: packing into it changes nothing a write holds.
      tail.more.push(row.payload);
      tail.lastSeq = row.lastSeq;
      tail.bytes += bytes;
      tail.ticket = issued;
      return;
    }
    enqueue({ kind: "event", ticket: issued, first: row, lastSeq: row.lastSeq, more: [], bytes });
  };

  const release = () => {
    for (const waiter of waiters) {
      if (waiter.ticket <= written) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  /**
   * Writes the next batch outside the trace of whichever run queued it: a
   * batch holds the records of many runs and belongs to none of them.
   */
  function writeNext(): Promise<void> {
    return context.with(ROOT_CONTEXT, writeBatch);
  }

  async function writeBatch(): Promise<void> {
    if (writing || queue.length === 0) {
      return;
    }
    writing = true;
    const batch = queue.slice(0, maxBatch);
    inFlight = batch.length;
    // The same run twice in one statement is an error in SQL; the latest row wins.
    const runs = new Map<string, RunRow>();
    const events: RunEventRow[] = [];
    for (const entry of batch) {
      if (entry.kind === "run") {
        runs.set(entry.row.runId, entry.row);
      } else {
        events.push(rowOf(entry));
      }
    }
    try {
      await store.write({ runs: [...runs.values()], events });
      queue = queue.length === batch.length ? [] : queue.slice(batch.length);
      inFlight = 0;
      for (const entry of batch) {
        if (entry.kind === "event") {
          queuedBytes -= entry.bytes;
        }
      }
      written = batch[batch.length - 1]?.ticket ?? written;
      observer?.onWrite?.({ outcome: "ok", records: batch.length });
      if (failures > 0 || droppedInOutage > 0) {
        logger.info({ queued: queue.length, dropped: droppedInOutage }, "run store reachable again: recording caught up");
      }
      failures = 0;
      droppedInOutage = 0;
      release();
      writing = false;
      if (onStored !== undefined) {
        const runIds = new Set(runs.keys());
        events.forEach((event) => runIds.add(event.runId));
        try {
          onStored(runIds);
        } catch (err) {
          logger.warn({ err }, "a listener of stored runs failed");
        }
      }
      // A flush waiting for what arrived during this write does not wait out the batching delay.
      schedule(queue.length >= maxBatch || waiters.size > 0 ? 0 : flushDelayMs);
    } catch (err) {
      observer?.onWrite?.({ outcome: "error", records: batch.length });
      if (failures === 0) {
        logger.warn({ err, queued: queue.length }, "run store write failed: records stay queued and are retried");
      }
      failures += 1;
      inFlight = 0;
      writing = false;
      // Shutting down, the store gets every chance it can within the deadline.
      schedule(closed ? retryDelayMs : Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(failures - 1, 16)));
    }
  }

  return {
    run(row) {
      if (closed) {
        return;
      }
      if (full(0)) {
        drop("run");
        return;
      }
      issued += 1;
      enqueue({ kind: "run", ticket: issued, row });
    },
    event(row) {
      if (!closed) {
        addEvent(row);
      }
    },
    flush(signal) {
      const ticket = issued;
      if (ticket <= written || queue.length === 0) {
        return Promise.resolve();
      }
      signal?.throwIfAborted();
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          ticket,
          resolve: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          waiters.delete(waiter);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiters.add(waiter);
        // Read-your-writes should not wait out the batching delay.
        if (timer !== undefined && failures === 0) {
          clearTimeout(timer);
          timer = undefined;
          void writeNext();
        }
      });
    },
    queued: () => queue.length,
    failing: () => failures > 0,
    async close(timeoutMs) {
      closed = true;
      const deadline = AbortSignal.timeout(timeoutMs);
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      void writeNext();
      try {
        await this.flush(deadline);
      } catch {
        logger.error({ unwritten: queue.length }, "run store unreachable at shutdown: these run records are lost");
      }
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      return queue.length;
    },
  };
}
