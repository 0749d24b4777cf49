/**
 * Signals about runs between replicas: "this run has new records in the
 * store" (so a watcher elsewhere reads them now instead of polling) and
 * "cancel this run" (so the replica running it aborts it). On PostgreSQL they
 * travel by LISTEN/NOTIFY (`createPostgresRunSignals`); on the embedded
 * store, which only one process opens, they stay in this process.
 *
 * Signals are hints, never the data: a watcher always reads the store, so a
 * lost or duplicated signal costs latency, not correctness. A transport that
 * lost its connection calls every `onStored` listener once it is back, since
 * it cannot tell which signals it missed.
 */
export interface RunSignals {
  /** Tells every replica, this one included, that these runs have new records in the store. */
  publishStored(runIds: readonly string[]): void;
  /** Calls `listener` when `runId` may have new records in the store. Returns the unsubscribe. */
  onStored(runId: string, listener: () => void): () => void;
  /**
   * Asks every replica, this one included, to cancel `runId`. Resolves once
   * the request is sent; rejects when it cannot be (the database is down).
   */
  publishCancel(runId: string): Promise<void>;
  /** Calls `listener` with every run id a cancel is asked for, from any replica. Returns the unsubscribe. */
  onCancel(listener: (runId: string) => void): () => void;
  /** Stops listening and sending. */
  close(): Promise<void>;
}

/** Listeners of one process, by run id: the part every transport shares. */
export interface LocalRunSignals extends RunSignals {
  /** Delivers a stored signal to this process's listeners. */
  deliverStored(runIds: Iterable<string>): void;
  /** Delivers a cancel to this process's listeners. */
  deliverCancel(runId: string): void;
  /** Calls every stored listener once: after a transport missed signals. */
  deliverStoredToAll(): void;
}

/** Signals within this process: for the embedded store, and the local half of every transport. */
export function createLocalRunSignals(): LocalRunSignals {
  const stored = new Map<string, Set<() => void>>();
  const cancels = new Set<(runId: string) => void>();

  const call = (listener: () => void) => {
    try {
      listener();
    } catch {
      // A listener's failure is its own; the others still hear the signal.
    }
  };

  const local: LocalRunSignals = {
    deliverStored(runIds) {
      for (const runId of runIds) {
        stored.get(runId)?.forEach(call);
      }
    },
    deliverCancel(runId) {
      cancels.forEach((listener) => call(() => listener(runId)));
    },
    deliverStoredToAll() {
      stored.forEach((listeners) => listeners.forEach(call));
    },
    publishStored(runIds) {
      local.deliverStored(runIds);
    },
    onStored(runId, listener) {
      let listeners = stored.get(runId);
      if (listeners === undefined) {
        listeners = new Set();
        stored.set(runId, listeners);
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && stored.get(runId) === listeners) {
          stored.delete(runId);
        }
      };
    },
    publishCancel(runId) {
      local.deliverCancel(runId);
      return Promise.resolve();
    },
    onCancel(listener) {
      cancels.add(listener);
      return () => cancels.delete(listener);
    },
    close() {
      stored.clear();
      cancels.clear();
      return Promise.resolve();
    },
  };
  return local;
}
