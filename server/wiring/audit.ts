import type { Meter } from "@opentelemetry/api";
import type { Logger } from "pino";
import { createAuditWriter, type AuditWriter } from "../audit/audit-writer.js";
import type { Config } from "../config.js";
import type { AuditStore } from "../store/index.js";
import { createAuditMetrics } from "../telemetry/audit-metrics.js";
import type { Closers } from "./closers.js";

/** What {@link wireAudit} needs. */
export interface AuditWiringOptions {
  /** The open store; it must close after the writer (register it first). */
  readonly store: AuditStore;
  readonly settings: Config["store"];
  /** The meter the writer's metrics go on. */
  readonly meter: Meter;
  readonly logger: Logger;
}

/**
 * Starts the audit log's writer, with the run recorder's batch window and
 * shutdown wait. Its closer appends what is queued: registered after the
 * store, it closes before it; the shutdown calls the closers once the runs
 * and the RPC server have stopped, so their last entries are in the queue.
 */
export function wireAudit(options: AuditWiringOptions, closers: Closers): AuditWriter {
  const { store, settings, meter, logger } = options;
  const metrics = createAuditMetrics(meter);
  const writer = createAuditWriter({
    store,
    logger,
    maxQueued: settings.maxQueuedAuditEntries,
    flushDelayMs: settings.batchMs,
    observer: {
      onWrite: (write) => metrics.recordWrite(write),
      onDropped: (dropped) => metrics.recordDropped(dropped),
    },
  });
  const stopObserving = metrics.observeQueue(() => writer.queued());
  closers.push(async () => {
    stopObserving();
    await writer.close(settings.flushTimeoutMs);
  });
  return writer;
}
