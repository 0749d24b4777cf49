import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { canceledByRequest } from "../rpc/run-service.js";
import { createLiveRuns, type LiveRuns } from "../runs/live-runs.js";
import { createPostgresRunSignals } from "../runs/postgres-run-signals.js";
import { createRunRecorder, type RunRecorder } from "../runs/run-recorder.js";
import { startReplicaPresence } from "../runs/replica-presence.js";
import { startRunRetention } from "../runs/run-retention.js";
import { createLocalRunSignals, type RunSignals } from "../runs/run-signals.js";
import { createRunWatcher, type RunWatcher } from "../runs/run-watch.js";
import type { RunStore } from "../store/index.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";
import type { Closers } from "./closers.js";

/** What {@link wireRuns} needs. */
export interface RunsWiringOptions {
  /** The open run store; it must close after everything started here (register it first). */
  readonly store: RunStore;
  readonly settings: Config["store"];
  /** `DATABASE_URL`, read for each new connection; undefined with the embedded store. */
  readonly databaseUrl: (() => string) | undefined;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
}

/** What records, follows and cancels runs, on this replica and across replicas. */
export interface RunParts {
  /** Stored-run and cancel signals between replicas. */
  readonly signals: RunSignals;
  /** Runs in progress on this replica. */
  readonly live: LiveRuns;
  /** Writes runs and their events behind them. */
  readonly recorder: RunRecorder;
  /** Replays a run's stored events and follows its live ones. */
  readonly watcher: RunWatcher;
  /** This replica's id: in its runs' records, its heartbeat and its signals. */
  readonly replicaId: string;
}

/**
 * Starts the run signals, the recorder and the retention sweep over the run
 * store; a cancel signal from any replica cancels the live run it names.
 */
export async function wireRuns(options: RunsWiringOptions, closers: Closers): Promise<RunParts> {
  const { store, settings, databaseUrl, metrics, logger } = options;
  const replicaId = randomUUID();
  // Watch and cancel reach other replicas through PostgreSQL; the embedded store has no others.
  const signals =
    databaseUrl === undefined
      ? createLocalRunSignals()
      : await createPostgresRunSignals({ connectionString: databaseUrl, logger, replicaId });
  closers.push(() => signals.close());
  const live = createLiveRuns();
  signals.onCancel((runId) => live.cancel(runId, canceledByRequest(runId)));
  const recorder = createRunRecorder({
    store,
    logger,
    maxQueued: settings.maxQueuedRecords,
    flushDelayMs: settings.batchMs,
    onStored: (runIds) => signals.publishStored([...runIds]),
    observer: {
      onWrite: (write) => metrics.recordRunStoreWrite(write),
      onDropped: (dropped) => metrics.recordRunRecordsDropped(dropped),
    },
  });
  metrics.observeRunStoreQueue(() => recorder.queued());
  // Closed before the store (closers run in reverse): every acknowledged record is written first.
  // Before the signals too, which announce what it stores to the other replicas.
  closers.push(async () => {
    await recorder.close(settings.flushTimeoutMs);
  });
  const watcher = createRunWatcher({ store, live, signals, logger });
  const retention = startRunRetention({
    store,
    logger,
    retentionDays: settings.retentionDays,
    idempotencyTtlMs: settings.idempotencyTtlHours * 3_600_000,
  });
  closers.push(() => retention.stop());
  // After the recorder in start-up order, so before it at shutdown: the last beat precedes the last records.
  const presence = await startReplicaPresence({ store, replicaId, logger });
  closers.push(() => presence.stop());
  return { signals, live, recorder, watcher, replicaId };
}
