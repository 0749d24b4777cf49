import type { Logger } from "pino";
import type { RunStore } from "../store/index.js";

/** Options of {@link startReplicaPresence}. */
export interface ReplicaPresenceOptions {
  readonly store: Pick<RunStore, "heartbeat" | "endRunsOfStoppedReplicas">;
  /** This replica's id, the one its runs are recorded with. */
  readonly replicaId: string;
  readonly logger: Logger;
  /** Time between heartbeats (each followed by a sweep). Default 5,000 ms. */
  readonly heartbeatMs?: number;
  /**
   * Silence after which a replica counts as stopped and its runs still
   * `running` are ended as `INTERRUPTED`. Default 30,000 ms: a replica cut
   * off from the database for longer has its runs ended by the others (the
   * end it records later is then ignored).
   */
  readonly staleAfterMs?: number;
}

/** A replica's heartbeat, running. */
export interface ReplicaPresence {
  /** Stops the heartbeat and waits for one in progress. */
  stop(): Promise<void>;
}

/**
 * Sends this replica's heartbeat to the store, once before it resolves and
 * then every `heartbeatMs`, and after each one ends the runs of replicas
 * that stopped without ending theirs (a crash, a lost machine): so that a
 * watcher of such a run gets its end, and a repeat of its idempotency key
 * runs again, instead of waiting for a run nobody runs. Every replica
 * sweeps; the update is idempotent. A failed beat or sweep is logged and
 * tried again next time.
 */
export async function startReplicaPresence(options: ReplicaPresenceOptions): Promise<ReplicaPresence> {
  const { store, replicaId, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  let failing = false;

  const beat = async () => {
    try {
      await store.heartbeat(replicaId);
      const ended = await store.endRunsOfStoppedReplicas(staleAfterMs, new Date());
      if (ended > 0) {
        logger.warn({ runs: ended, stale_after_ms: staleAfterMs }, "runs of replicas that stopped without ending them are recorded as failed (INTERRUPTED)");
      }
      if (failing) {
        logger.info("replica heartbeat reaches the run store again");
      }
      failing = false;
    } catch (err) {
      if (!failing) {
        logger.warn({ err }, "replica heartbeat failed; it is tried again");
      }
      failing = true;
    }
  };

  let running: Promise<void> | undefined = beat();
  await running;
  running = undefined;
  const timer = setInterval(() => {
    running ??= beat().finally(() => (running = undefined));
  }, heartbeatMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
