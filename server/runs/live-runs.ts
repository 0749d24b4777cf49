import type { ConnectError } from "@connectrpc/connect";
import type { StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";

/** A run on this replica, as its lifecycle drives it. */
export interface LiveRunHandle {
  /** Adds the run's next event (its `seq` set); watchers see it at once. */
  push(event: StreamResponse): void;
  /** Ends the run: without an error after `runCompleted`, else with the error its caller got. Idempotent. */
  end(error?: ConnectError): void;
}

/** A run on this replica, as watchers see it. */
export interface LiveRun {
  readonly runId: string;
  readonly principal: string;
  /**
   * The run's events with `seq > afterSeq`, those already sent and then the
   * rest as they happen; returns after the last, or throws the run's error.
   * A slow watcher never slows the run: the run keeps its events until it ends.
   */
  follow(afterSeq: number, signal: AbortSignal): AsyncGenerator<StreamResponse, void, undefined>;
  /** Resolves when the run has ended, however it ended. */
  readonly ended: Promise<void>;
}

/** The runs in progress on this replica: for watchers and cancels that reach this replica. */
export interface LiveRuns {
  /** Registers a run as it starts; `cancel` aborts it (CancelRun). */
  begin(runId: string, principal: string, cancel: (reason: ConnectError) => void): LiveRunHandle;
  /** The run, while it runs here. */
  get(runId: string): LiveRun | undefined;
  /** Aborts the run if it runs here; returns whether it did. */
  cancel(runId: string, reason: ConnectError): boolean;
  /** Runs in progress here. */
  size(): number;
  /** Resolves once no run is in progress here (at once when none is). */
  idle(): Promise<void>;
}

interface Entry extends LiveRun {
  readonly events: StreamResponse[];
  error: ConnectError | undefined;
  done: boolean;
  /** Resolvers of watchers waiting for the next event or the end. */
  readonly waiting: Set<() => void>;
  readonly cancel: (reason: ConnectError) => void;
}

/** Creates the registry of runs in progress on this replica. */
export function createLiveRuns(): LiveRuns {
  const runs = new Map<string, Entry>();
  const idleWaiters = new Set<() => void>();

  return {
    begin(runId, principal, cancel) {
      let resolveEnded = () => {};
      const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
      const entry: Entry = {
        runId,
        principal,
        events: [],
        error: undefined,
        done: false,
        waiting: new Set(),
        cancel,
        ended,
        follow: (afterSeq, signal) => follow(entry, afterSeq, signal),
      };
      runs.set(runId, entry);
      const wake = () => {
        const waiting = [...entry.waiting];
        entry.waiting.clear();
        waiting.forEach((resolve) => resolve());
      };
      return {
        push(event) {
          if (!entry.done) {
            entry.events.push(event);
            if (entry.waiting.size > 0) {
              wake();
            }
          }
        },
        end(error) {
          if (entry.done) {
            return;
          }
          entry.done = true;
          entry.error = error;
          if (runs.get(runId) === entry) {
            runs.delete(runId);
          }
          if (runs.size === 0) {
            idleWaiters.forEach((resolve) => resolve());
            idleWaiters.clear();
          }
          wake();
          resolveEnded();
        },
      };
    },
    get: (runId) => runs.get(runId),
    cancel(runId, reason) {
      const entry = runs.get(runId);
      if (entry === undefined || entry.done) {
        return false;
      }
      entry.cancel(reason);
      return true;
    },
    size: () => runs.size,
    idle: () => (runs.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.add(resolve))),
  };
}

async function* follow(entry: Entry, afterSeq: number, signal: AbortSignal): AsyncGenerator<StreamResponse, void, undefined> {
  // Seqs run from 1 without gaps, so the first event to send is at index afterSeq.
  let next = afterSeq;
  for (;;) {
    while (next < entry.events.length) {
      const event = entry.events[next];
      next += 1;
      if (event !== undefined) {
        yield event;
      }
    }
    if (entry.done) {
      if (entry.error !== undefined) {
        throw entry.error;
      }
      return;
    }
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        entry.waiting.delete(done);
        reject(signal.reason as Error);
      };
      const done = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      entry.waiting.add(done);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
