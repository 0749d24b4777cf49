import type { Logger } from "pino";
import type { RunStore } from "../store/index.js";

/** Options of {@link startRunRetention}. */
export interface RunRetentionOptions {
  readonly store: RunStore;
  readonly logger: Logger;
  /** Days a run is kept after it ends; 0 keeps runs forever. */
  readonly retentionDays: number;
  /** How long an idempotency key is kept after its claim (expired keys are deleted whatever `retentionDays` says). */
  readonly idempotencyTtlMs: number;
  /** Time between sweeps. Default one hour. */
  readonly intervalMs?: number;
  /** Runs deleted per statement, so a sweep never holds long locks. Default 500. */
  readonly batchSize?: number;
  /** Wall clock in milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/** A running retention sweep. */
export interface RunRetention {
  /** Runs one sweep now; resolves with the runs it deleted. */
  sweep(): Promise<number>;
  /** Stops sweeping and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Deletes runs (and their events) that ended more than `retentionDays` ago,
 * and idempotency keys past their time, in batches, once at start-up and
 * then every `intervalMs`. Every replica
 * sweeps; the deletes are idempotent, so replicas sweeping at once only
 * share the work. A failed sweep is logged and tried again next time.
 */
export function startRunRetention(options: RunRetentionOptions): RunRetention {
  const { store, logger, retentionDays, idempotencyTtlMs } = options;
  const intervalMs = options.intervalMs ?? 3_600_000;
  const batchSize = options.batchSize ?? 500;
  const now = options.now ?? Date.now;
  let running: Promise<number> | undefined;
  let stopped = false;

  const sweep = (): Promise<number> => {
    running ??= (async () => {
      let deleted = 0;
      let keys = 0;
      try {
        if (retentionDays > 0) {
          deleted = await inBatches((size) => store.deleteEndedBefore(new Date(now() - retentionDays * 86_400_000), size));
        }
        keys = await inBatches((size) => store.deleteKeysClaimedBefore(new Date(now() - idempotencyTtlMs), size));
        if (deleted > 0) {
          logger.info({ deleted, retention_days: retentionDays }, "deleted runs past their retention");
        }
        if (keys > 0) {
          logger.debug({ deleted: keys }, "deleted expired idempotency keys");
        }
      } catch (err) {
        logger.warn({ err, deleted }, "run retention sweep failed; it runs again later");
      } finally {
        running = undefined;
      }
      return deleted;
    })();
    return running;
  };

  /** Deletes with `remove` until a batch comes back short (or the sweep is stopped); returns how many. */
  async function inBatches(remove: (batchSize: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await remove(batchSize);
      total += batch;
      if (batch < batchSize || stopped) {
        return total;
      }
    }
  }

  void sweep();
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
