import { Code, type ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import type { RunRow, RunStore } from "../store/index.js";
import type { LiveRuns } from "./live-runs.js";
import { eventsOf } from "./run-messages.js";
import type { RunSignals } from "./run-signals.js";

/** Dependencies of {@link createRunWatcher}. */
export interface RunWatcherOptions {
  readonly store: RunStore;
  /** Runs in progress on this replica: followed from memory. */
  readonly live: LiveRuns;
  /** Wakes a watcher when the run it follows has new records. */
  readonly signals: RunSignals;
  readonly logger: Logger;
  /**
   * Longest wait between two reads of a run followed from the store, when no
   * signal came: the bound on a lost signal's cost. Default 1,000 ms.
   */
  readonly pollMs?: number;
  /**
   * How long an unknown run id is waited for before NOT_FOUND: a run started
   * on another replica moments ago may not be recorded yet. Default 2,000 ms.
   */
  readonly notFoundWaitMs?: number;
  /** Wall clock in milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Whose runs a caller may see, by the run's principal: a run it may not see
 * is NOT_FOUND, as if it did not exist.
 */
export type OwnerFilter = (owner: string) => boolean;

/** Follows runs, wherever they run. */
export interface RunWatcher {
  /**
   * The run's events with `seq > afterSeq`: the recorded ones, then the live
   * ones as they happen, until the last. Returns after `runCompleted`; throws
   * the run's error (rebuilt from its record when it ran elsewhere) when it
   * failed or was canceled, NOT_FOUND when there is no such run that
   * `sees` accepts, and UNAVAILABLE when the store cannot be read.
   */
  watch(runId: string, afterSeq: number, sees: OwnerFilter, signal: AbortSignal): AsyncGenerator<StreamResponse, void, undefined>;
  /**
   * The run's record, waiting a moment for one that may not be recorded yet;
   * undefined when it turned out to run here (see `LiveRuns`). NOT_FOUND when
   * there is no such run that `sees` accepts.
   */
  find(runId: string, sees: OwnerFilter, signal: AbortSignal): Promise<RunRow | undefined>;
  /**
   * The run's record once it has ended; the latest one (still running) when
   * `signal` aborts first. NOT_FOUND as {@link find}.
   */
  ended(runId: string, sees: OwnerFilter, signal: AbortSignal): Promise<RunRow>;
}

/** Event rows read per store query. */
const eventsPerRead = 1_000;

/**
 * Creates the watcher: a run in progress on this replica is followed from
 * memory; any other is read from the store, again whenever a signal says
 * that it has new records (and at least every `pollMs`), until it ends.
 */
export function createRunWatcher(options: RunWatcherOptions): RunWatcher {
  const { store, live, signals, logger } = options;
  const pollMs = options.pollMs ?? 1_000;
  const notFoundWaitMs = options.notFoundWaitMs ?? 2_000;
  const now = options.now ?? Date.now;

  async function read<T>(what: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      logger.warn({ err }, `run store read failed: ${what}`);
      throw connectErrorWithDetail("the run store is unavailable; try again shortly", Code.Unavailable, { reason: "RUN_STORE_UNAVAILABLE", retryAfterMs: 1_000 }, err);
    }
  }

  /** Wakes on the run's next stored signal, or after `pollMs`, or at abort. */
  function subscribe(runId: string) {
    let signaled = false;
    let wake: (() => void) | undefined;
    const unsubscribe = signals.onStored(runId, () => {
      signaled = true;
      wake?.();
    });
    return {
      /** Forgets signals so far: call before reading, so one that lands during the read is not lost. */
      reset() {
        signaled = false;
      },
      async next(signal: AbortSignal, waitMs = pollMs): Promise<void> {
        if (signaled) {
          return;
        }
        signal.throwIfAborted();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(done, waitMs);
          const onAbort = () => {
            clearTimeout(timer);
            wake = undefined;
            reject(signal.reason as Error);
          };
          function done() {
            clearTimeout(timer);
            signal.removeEventListener("abort", onAbort);
            wake = undefined;
            resolve();
          }
          wake = done;
          signal.addEventListener("abort", onAbort, { once: true });
        });
      },
      unsubscribe,
    };
  }

  function notFound(runId: string): ConnectError {
    return connectErrorWithDetail(`no run with run_id "${runId.slice(0, 64)}" (unknown, or older than the retention period)`, Code.NotFound, {
      reason: "RUN_NOT_FOUND",
    });
  }

  /**
   * The record of a run that `sees` accepts, waiting up to `notFoundWaitMs` for
   * one not recorded yet; undefined when it turned out to run here.
   */
  async function findRun(runId: string, sees: OwnerFilter, wakeup: ReturnType<typeof subscribe>, signal: AbortSignal): Promise<RunRow | undefined> {
    const deadline = now() + notFoundWaitMs;
    for (;;) {
      wakeup.reset();
      const row = await read("get run", () => store.getRun(runId));
      if (row !== undefined && sees(row.principal)) {
        return row;
      }
      const left = deadline - now();
      if (row !== undefined || left <= 0) {
        throw notFound(runId);
      }
      await wakeup.next(signal, Math.min(left, pollMs));
      if (live.get(runId) !== undefined) {
        return undefined;
      }
    }
  }

  async function* watch(runId: string, afterSeq: number, sees: OwnerFilter, signal: AbortSignal): AsyncGenerator<StreamResponse, void, undefined> {
    const wakeup = subscribe(runId);
    try {
      let last = afterSeq;
      let row = live.get(runId) === undefined ? await findRun(runId, sees, wakeup, signal) : undefined;
      for (;;) {
        const here = live.get(runId);
        if (here !== undefined || row === undefined) {
          // In progress on this replica: the rest comes from memory.
          if (here === undefined) {
            row = await findRun(runId, sees, wakeup, signal);
            continue;
          }
          if (!sees(here.principal)) {
            throw notFound(runId);
          }
          yield* here.follow(last, signal);
          return;
        }
        // Recorded in order (one recorder per run, first in first out): once
        // the row says the run ended, every event it had is stored too.
        const ended = row.status !== "running";
        for (;;) {
          const rows = await read("list events", () => store.listEvents(runId, last, eventsPerRead));
          for (const event of rows.flatMap(eventsOf)) {
            if (event.seq <= last || event.event === undefined) {
              continue;
            }
            last = event.seq;
            event.event.seq = event.seq;
            yield event.event;
            if (event.event.event.case === "runCompleted") {
              return;
            }
          }
          if (rows.length < eventsPerRead) {
            break;
          }
        }
        if (ended) {
          if (row.status === "completed") {
            // Its last events were dropped (a full queue): the record is all there is.
            return;
          }
          throw errorOf(row);
        }
        await wakeup.next(signal);
        wakeup.reset();
        row = (await read("get run", () => store.getRun(runId))) ?? row;
      }
    } finally {
      wakeup.unsubscribe();
    }
  }

  async function find(runId: string, sees: OwnerFilter, signal: AbortSignal): Promise<RunRow | undefined> {
    const wakeup = subscribe(runId);
    try {
      return await findRun(runId, sees, wakeup, signal);
    } finally {
      wakeup.unsubscribe();
    }
  }

  async function ended(runId: string, sees: OwnerFilter, signal: AbortSignal): Promise<RunRow> {
    const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    const wakeup = subscribe(runId);
    try {
      for (;;) {
        const here = live.get(runId);
        if (here !== undefined) {
          await Promise.race([here.ended, aborted]);
        }
        // Its last record is on its way from this replica's recorder, or another's.
        const row = await findRun(runId, sees, wakeup, signal);
        if (row !== undefined && (row.status !== "running" || signal.aborted)) {
          return row;
        }
        if (row !== undefined) {
          await wakeup.next(signal).catch(() => undefined);
        }
      }
    } finally {
      wakeup.unsubscribe();
    }
  }

  return { watch, find, ended };
}

/** The error a failed or canceled run's caller got, rebuilt from its record. */
export function errorOf(row: RunRow): ConnectError {
  const code = Code[row.errorStatus as keyof typeof Code] ?? (row.status === "canceled" ? Code.Canceled : Code.Unknown);
  return connectErrorWithDetail(row.errorMessage || `the run ${row.status === "canceled" ? "was canceled" : "failed"}`, code, {
    reason: row.errorCode || Code[code].toUpperCase(),
    runId: row.runId,
    traceId: row.traceId,
  });
}
