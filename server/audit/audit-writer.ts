import { randomUUID } from "node:crypto";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { AuditAppender } from "../runs/run-audit.js";
import type { AuditEntry, AuditStore, KeyedAuditEntry } from "../store/index.js";

/** What the writer reports, for metrics. */
export interface AuditWriterObserver {
  /** A batch was appended, or failed to be (it stays queued and is tried again). */
  onWrite?(write: { readonly outcome: "ok" | "error"; readonly entries: number }): void;
  /** An entry was not queued because the queue was full. */
  onDropped?(dropped: { readonly count: number }): void;
}

/** Options of {@link createAuditWriter}. */
export interface AuditWriterOptions {
  readonly store: Pick<AuditStore, "appendAudit">;
  readonly logger: Logger;
  readonly observer?: AuditWriterObserver;
  /** Entries held before new ones are dropped. Default 100,000. */
  readonly maxQueued?: number;
  /** Entries per append (one transaction). Default 1,000. */
  readonly maxBatch?: number;
  /** How long the first entry of a batch waits for others. Default 100 ms. */
  readonly flushDelayMs?: number;
  /** Wait before the first retry of a failed append; doubles up to {@link maxRetryDelayMs}. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Longest wait between retries while the store is down. Default 5,000 ms. */
  readonly maxRetryDelayMs?: number;
}

/** Appends audit entries behind the actions they record: nothing it does makes an action wait or fail. */
export interface AuditWriter extends AuditAppender {
  /** Queues one entry, after every entry queued before it. */
  append(entry: AuditEntry): void;
  /**
   * Resolves once everything queued before the call is in the store: for a
   * read that must see what this replica just did. Rejects with the signal's
   * reason if it aborts first (the store may be down).
   */
  flush(signal?: AbortSignal): Promise<void>;
  /** Entries queued and not yet appended. */
  queued(): number;
  /** True while the store refuses appends (the last one failed). */
  failing(): boolean;
  /**
   * Appends what is queued and stops, waiting at most `timeoutMs` for a store
   * that is down; resolves with the number of entries it could not append.
   */
  close(timeoutMs: number): Promise<number>;
}

interface QueuedEntry {
  readonly entry: AuditEntry;
  /** Chosen when the entry first goes into a batch (off the hot path) and kept for its retries. */
  entryId: string | undefined;
}

/**
 * Creates the write-behind audit writer, in the shape of the run recorder:
 * entries go into one FIFO queue, and one append at a time takes up to
 * `maxBatch` of them into one transaction, so they reach the chain in the
 * order they were queued. A failed append leaves its entries at the head of
 * the queue and is retried with backoff; each entry keeps its id across
 * retries, so an append whose answer was lost is not doubled. While the
 * store is down the queue grows to `maxQueued`, after which new entries are
 * dropped, counted and logged (once per outage), never thrown.
 *
 * What a hard crash loses is what is queued: normally the last
 * `flushDelayMs` plus one append. A graceful shutdown ({@link AuditWriter.close})
 * appends it all.
 */
export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  const { store, logger, observer } = options;
  const maxQueued = options.maxQueued ?? 100_000;
  const maxBatch = options.maxBatch ?? 1_000;
  const flushDelayMs = options.flushDelayMs ?? 100;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;

  let queue: QueuedEntry[] = [];
  // Tickets number the entries queued (`issued`) and appended (`written`), for flush().
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
    // A pending append never keeps the process alive on its own; close() flushes.
    timer.unref();
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
    const entries: KeyedAuditEntry[] = batch.map((queued) => ({ ...queued.entry, entryId: (queued.entryId ??= randomUUID()) }));
    try {
      await store.appendAudit(entries);
      queue = queue.length === batch.length ? [] : queue.slice(batch.length);
      written += batch.length;
      observer?.onWrite?.({ outcome: "ok", entries: batch.length });
      if (failures > 0 || droppedInOutage > 0) {
        logger.info({ queued: queue.length, dropped: droppedInOutage }, "audit log reachable again: appending caught up");
      }
      failures = 0;
      droppedInOutage = 0;
      release();
      writing = false;
      // A flush waiting for what arrived during this append does not wait out the batching delay.
      schedule(queue.length >= maxBatch || waiters.size > 0 ? 0 : flushDelayMs);
    } catch (err) {
      observer?.onWrite?.({ outcome: "error", entries: batch.length });
      if (failures === 0) {
        logger.warn({ err, queued: queue.length }, "audit log append failed: entries stay queued and are retried");
      }
      failures += 1;
      writing = false;
      // Shutting down, the store gets every chance it can within the deadline.
      schedule(closed ? retryDelayMs : Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(failures - 1, 16)));
    }
  }

  return {
    append(entry) {
      if (closed) {
        return;
      }
      if (queue.length >= maxQueued) {
        if (droppedInOutage === 0) {
          logger.error({ queued: queue.length, max_queued: maxQueued }, "audit log queue full: new audit entries are dropped until it drains");
        }
        droppedInOutage += 1;
        observer?.onDropped?.({ count: 1 });
        return;
      }
      issued += 1;
      queue.push({ entry, entryId: undefined });
      schedule(queue.length >= maxBatch ? 0 : flushDelayMs);
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
        logger.error({ unwritten: queue.length }, "audit log unreachable at shutdown: these audit entries are lost");
      }
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      return queue.length;
    },
  };
}
