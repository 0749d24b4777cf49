/**
 * What the service keeps about runs, and the one interface it keeps it
 * through. The same SQL runs on PostgreSQL (`pg`) and on embedded PGlite;
 * see {@link openStore}.
 */

/** Where a run is in its life. Final states never change again. */
export type RunStatus = "running" | "completed" | "failed" | "canceled";

/**
 * One run, as recorded. Written when the run starts (status `running`) and
 * again when it ends; either write carries every field known by then, so a
 * run whose first write was lost is still complete once its last one lands.
 */
export interface RunRow {
  readonly runId: string;
  /** Who asked for the run ("anonymous" until callers authenticate). */
  readonly principal: string;
  /** The conversation the run belongs to; empty when none. */
  readonly threadId: string;
  readonly status: RunStatus;
  /** The input the caller sent. */
  readonly input: string;
  /** The final answer; empty until the run completes. */
  readonly output: string;
  readonly promptVersion: string;
  /** The primary model when the run started; the model that answered when it ended. */
  readonly model: string;
  /** Every model that answered a turn, in the order they first answered. */
  readonly modelsUsed: readonly string[];
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  readonly costUsd: number;
  readonly iterations: number;
  /** `StopReason` name without its prefix ("final_answer", "max_iterations", …); empty while running. */
  readonly stopReason: string;
  /** The `agent.v1.ErrorCode` name or Connect code name of a failed run; empty otherwise. */
  readonly errorCode: string;
  /** The error message a failed run's caller was shown; empty otherwise. */
  readonly errorMessage: string;
  /**
   * The Connect code of the error a failed or canceled run's caller got, by
   * its `Code` name ("Unavailable", "Canceled", …); empty otherwise. With
   * `errorCode` and `errorMessage` it rebuilds that error for a watcher.
   */
  readonly errorStatus: string;
  readonly traceId: string;
  /** The caller's idempotency key; empty when none. */
  readonly idempotencyKey: string;
  /** SHA-256 (hex) of the request's canonical form, to tell a reused key from a retry. */
  readonly requestDigest: string;
  /** The replica that runs (or ran) it, whose heartbeat tells whether a `running` run still runs. */
  readonly replicaId: string;
  readonly startedAt: Date;
  /** Undefined while running. */
  readonly endedAt: Date | undefined;
  /** The `ExecuteResponse` of a completed run, protobuf binary; undefined otherwise. */
  readonly result: Uint8Array | undefined;
  /** The prompt experiment the run was part of; empty or undefined when none. */
  readonly experimentId?: string;
  /** Its arm in that experiment. */
  readonly experimentArm?: string;
  /**
   * A model other than the primary answered a turn (the ExecuteResponse's
   * `fallback_used`); undefined counts as false, and a row read back has it
   * only when true.
   */
  readonly fallbackUsed?: boolean;
}

/**
 * Events a run's stream sent, in order: one event, or several consecutive
 * ones of the same kind (a turn's text deltas are written as one row per
 * write instead of one per delta).
 */
export interface RunEventRow {
  readonly runId: string;
  /** The seq of the row's first event. Seqs are per run, from 1, with no gaps. */
  readonly seq: number;
  /** The seq of the row's last event: `seq` for a row of one event. */
  readonly lastSeq: number;
  /** The events' `StreamResponse` oneof case ("runStarted", "textDelta", …), for queries that skip payloads. */
  readonly kind: string;
  /** The row's `StreamResponse`s, each size-delimited (a varint length, then the message), in order. */
  readonly payload: Uint8Array;
  /** When the row's first event was sent. */
  readonly at: Date;
}

/** One write of the recorder: applied in one transaction, idempotent (a retried batch changes nothing). */
export interface RunWriteBatch {
  /** Upserted by `runId`; a row already in a final state is left as it is. */
  readonly runs: readonly RunRow[];
  /** Inserted; a row whose `(runId, seq)` exists is skipped. */
  readonly events: readonly RunEventRow[];
}

/** Filters of {@link RunStore.listRuns}; every field optional. */
export interface RunFilter {
  readonly principal?: string;
  readonly status?: RunStatus;
  /** Runs started at or after. */
  readonly startedAfter?: Date;
  /** Runs started before. */
  readonly startedBefore?: Date;
  /** Runs of this prompt, any version: their `promptVersion` is `<prompt>@…`. */
  readonly prompt?: string;
  /** Runs of exactly this prompt version (`name@version`). */
  readonly promptVersion?: string;
  /** Runs that started on this model, or in which it answered a turn. */
  readonly model?: string;
  /** Runs whose input contains this text, ignoring case. */
  readonly inputContains?: string;
  /** Keyset cursor: only runs strictly older than this (startedAt, runId) pair, for the next page. */
  readonly olderThan?: { readonly startedAt: Date; readonly runId: string };
  /** Page size. */
  readonly limit: number;
}

/** A claim of an idempotency key for a new run (see {@link RunStore.claimIdempotencyKey}). */
export interface IdempotencyClaim {
  /** The new run, status `running`, with its principal, `idempotencyKey` and `requestDigest`. */
  readonly run: RunRow;
  /** A key claimed before this time has expired: the claim takes it over. */
  readonly expiredBefore: Date;
}

/**
 * What a claim found: the key was free (or freed) and is now the new run's,
 * and the run's row is stored; or another run holds it, with the same
 * request (`existing`: replay it, or follow it while it runs) or another
 * (`mismatch`: the key was reused for a different request).
 */
export type IdempotencyOutcome =
  | { readonly outcome: "claimed" }
  | { readonly outcome: "existing"; readonly run: RunRow }
  | { readonly outcome: "mismatch"; readonly run: RunRow };

/** Which runs of a thread {@link RunStore.listThreadRuns} returns. */
export interface ThreadFilter {
  readonly principal: string;
  readonly threadId: string;
  /** Keyset cursor: only runs strictly newer than this (startedAt, runId) pair. */
  readonly newerThan?: { readonly startedAt: Date; readonly runId: string };
  /** Only completed runs (the turns a new run starts from). Default false. */
  readonly completedOnly?: boolean;
  /** Page size. */
  readonly limit: number;
  /** `oldest` (default) pages forward from the first run; `newest` returns the last `limit` runs, newest first. */
  readonly order?: "oldest" | "newest";
}

/** The store of runs and their events. */
export interface RunStore {
  /** "postgres" or "pglite": what is behind it, for logs and Health. */
  readonly kind: "postgres" | "pglite";
  /** Applies one batch in one transaction. Rejects when the database cannot be reached; nothing is half-written. */
  write(batch: RunWriteBatch): Promise<void>;
  /** The run, or undefined. */
  getRun(runId: string): Promise<RunRow | undefined>;
  /** Rows of a run holding events with `seq > afterSeq` (the first may start before), in order, at most `limit`. */
  listEvents(runId: string, afterSeq: number, limit: number): Promise<RunEventRow[]>;
  /** Runs matching `filter`, newest first (startedAt, then runId, descending). */
  listRuns(filter: RunFilter): Promise<RunRow[]>;
  /** Runs of one principal's thread, in (startedAt, runId) order. */
  listThreadRuns(filter: ThreadFilter): Promise<RunRow[]>;
  /**
   * Claims `claim.run.idempotencyKey` for the principal, in one transaction:
   * the key is taken when it is free, expired, or held by a run that failed
   * or was canceled, and then the run's row is written with it (durable
   * before the claim resolves). Concurrent claims of one key: one wins, the
   * others see its run.
   */
  claimIdempotencyKey(claim: IdempotencyClaim): Promise<IdempotencyOutcome>;
  /** Forgets idempotency keys claimed before `cutoff`, at most `batchSize`; returns how many. */
  deleteKeysClaimedBefore(cutoff: Date, batchSize: number): Promise<number>;
  /**
   * Ends every run still `running` as failed with `errorCode` "INTERRUPTED":
   * for a store only this process uses (embedded), at start-up, where such
   * runs belonged to a process that stopped without ending them. Returns how many.
   */
  endInterruptedRuns(endedAt: Date): Promise<number>;
  /** Records that `replicaId` is alive now (the database's clock). */
  heartbeat(replicaId: string): Promise<void>;
  /**
   * Ends as failed (`INTERRUPTED`) every run still `running` whose replica
   * has not sent a heartbeat for `staleAfterMs` (the database's clock): its
   * process stopped without ending them. Returns how many.
   */
  endRunsOfStoppedReplicas(staleAfterMs: number, endedAt: Date): Promise<number>;
  /**
   * Deletes runs that ended before `cutoff`, and their events, at most
   * `batchSize` runs per call (so retention never holds long locks);
   * returns how many runs it deleted.
   */
  deleteEndedBefore(cutoff: Date, batchSize: number): Promise<number>;
  /** Closes the pool or the embedded database. */
  close(): Promise<void>;
}
