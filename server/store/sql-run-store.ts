import type { IdempotencyOutcome, RunEventRow, RunFilter, RunRow, RunStore, ThreadFilter } from "./run-store.js";
import { runColumnNames, runParams, toRunEventRow, toRunRow, type SqlRecord } from "./run-row-codec.js";
import type { SqlDatabase } from "./sql-database.js";

const runColumnList = runColumnNames.join(", ");

/**
 * Upserts a batch of runs from one array per column. The WHERE of the update
 * is the rule of the store: a run in a final state is never touched again,
 * while a later write over `running` (another `running` or the final one)
 * replaces every field. `models_used` travels as JSON text, since an array of
 * arrays of different lengths cannot. The arrays are the parameters from
 * `$firstParam` on; `onlyIf` is a WHERE of the rows to write (none: all).
 */
function upsertRunsSql(firstParam: number, onlyIf = ""): string {
  return `
  INSERT INTO runs (${runColumnList})
  SELECT ${runColumnNames
    .map((column) =>
      column === "models_used"
        ? "ARRAY(SELECT model FROM jsonb_array_elements_text(batch.models_used::jsonb) WITH ORDINALITY AS used(model, position) ORDER BY position)"
        : `batch.${column}`,
    )
    .join(", ")}
  FROM unnest(${runParams.map(({ arrayType }, index) => `$${index + firstParam}::${arrayType}[]`).join(", ")})
    AS batch(${runColumnList})
  ${onlyIf}
  ON CONFLICT (run_id) DO UPDATE SET
    ${runColumnNames
      .filter((column) => column !== "run_id")
      .map((column) => `${column} = EXCLUDED.${column}`)
      .join(", ")}
  WHERE runs.status = 'running'`;
}

const UPSERT_RUNS = upsertRunsSql(1);

/** Inserts a batch of events from one array per column; an event already stored is skipped. */
const INSERT_EVENTS = `
  INSERT INTO run_events (run_id, seq, last_seq, kind, payload, at)
  SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::text[], $5::bytea[], $6::timestamptz[])
  ON CONFLICT (run_id, seq) DO NOTHING`;

const SELECT_EVENTS = `
  SELECT run_id, seq, last_seq, kind, payload, at FROM run_events
  WHERE run_id = $1 AND last_seq > $2
  ORDER BY seq
  LIMIT $3`;

/**
 * One statement, so one transaction. SKIP LOCKED lets replicas running
 * retention at once take different runs instead of waiting on each other.
 */
const DELETE_ENDED_BEFORE = `
  WITH doomed AS (
    SELECT run_id FROM runs WHERE ended_at < $1 ORDER BY ended_at LIMIT $2 FOR UPDATE SKIP LOCKED
  ), deleted_runs AS (
    DELETE FROM runs WHERE run_id IN (SELECT run_id FROM doomed) RETURNING run_id
  ), deleted_events AS (
    DELETE FROM run_events WHERE run_id IN (SELECT run_id FROM deleted_runs)
  )
  SELECT count(*)::integer AS deleted FROM deleted_runs`;

/**
 * A claim of a free key and its run's first write, in one statement (one round trip, one
 * transaction): the run is written only when the key was inserted. `claimed` is 0 when the key
 * was held, and then nothing was written: the claim goes on in a transaction that reads who
 * holds it.
 */
const CLAIM_FREE_KEY = `
  WITH claimed AS (
    INSERT INTO idempotency_keys (principal, idempotency_key, request_digest, run_id, claimed_at)
    VALUES ($1, $2, $3, $4, $5::timestamptz)
    ON CONFLICT (principal, idempotency_key) DO NOTHING
    RETURNING run_id
  ), written AS (${upsertRunsSql(6, "WHERE EXISTS (SELECT 1 FROM claimed)")}
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM claimed)::integer AS claimed, (SELECT count(*) FROM written)::integer AS written`;

/** Takes a free key; a held one is left alone (the claim then reads who holds it). */
const INSERT_KEY = `
  INSERT INTO idempotency_keys (principal, idempotency_key, request_digest, run_id, claimed_at)
  VALUES ($1, $2, $3, $4, $5::timestamptz)
  ON CONFLICT (principal, idempotency_key) DO NOTHING
  RETURNING run_id`;

const HELD_KEY = `
  SELECT request_digest, run_id, claimed_at FROM idempotency_keys
  WHERE principal = $1 AND idempotency_key = $2
  FOR UPDATE`;

const TAKE_OVER_KEY = `
  UPDATE idempotency_keys SET request_digest = $3, run_id = $4, claimed_at = $5::timestamptz
  WHERE principal = $1 AND idempotency_key = $2`;

const DELETE_KEYS_CLAIMED_BEFORE = `
  WITH doomed AS (
    SELECT principal, idempotency_key FROM idempotency_keys WHERE claimed_at < $1 ORDER BY claimed_at LIMIT $2 FOR UPDATE SKIP LOCKED
  ), deleted AS (
    DELETE FROM idempotency_keys k USING doomed d
    WHERE k.principal = d.principal AND k.idempotency_key = d.idempotency_key
    RETURNING 1
  )
  SELECT count(*)::integer AS deleted FROM deleted`;

const END_INTERRUPTED_RUNS = `
  WITH ended AS (
    UPDATE runs SET status = 'failed', error_code = 'INTERRUPTED', error_status = 'Unavailable',
      error_message = 'the service stopped before the run ended; run it again', ended_at = $1::timestamptz
    WHERE status = 'running'
    RETURNING 1
  )
  SELECT count(*)::integer AS ended FROM ended`;

const HEARTBEAT = `
  INSERT INTO replicas (replica_id, heartbeat_at) VALUES ($1, now())
  ON CONFLICT (replica_id) DO UPDATE SET heartbeat_at = now()`;

/** Runs whose replica is silent (or unknown) end; replicas silent ten times as long are forgotten. */
const END_RUNS_OF_STOPPED_REPLICAS = `
  WITH ended AS (
    UPDATE runs SET status = 'failed', error_code = 'INTERRUPTED', error_status = 'Unavailable',
      error_message = 'the replica running it stopped before the run ended; run it again', ended_at = $2::timestamptz
    WHERE status = 'running' AND NOT EXISTS (
      SELECT 1 FROM replicas r
      WHERE r.replica_id = runs.replica_id AND r.heartbeat_at >= now() - $1::integer * interval '1 millisecond'
    )
    RETURNING 1
  ), forgotten AS (
    DELETE FROM replicas WHERE heartbeat_at < now() - $1::integer * interval '10 milliseconds'
  )
  SELECT count(*)::integer AS ended FROM ended`;

/**
 * Creates the {@link RunStore} on `db`, whose schema {@link applyMigrations}
 * has brought up to date. The same SQL serves PostgreSQL and PGlite.
 */
export function createSqlRunStore(db: SqlDatabase): RunStore {
  return {
    kind: db.kind,
    async write(batch) {
      const runs = latestWrites(batch.runs);
      const events = inKeyOrder(batch.events);
      const runParamValues = runParams.map(({ value }) => runs.map(value));
      const eventParamValues = [
        events.map((event) => event.runId),
        events.map((event) => event.seq),
        events.map((event) => event.lastSeq),
        events.map((event) => event.kind),
        events.map((event) => event.payload),
        events.map((event) => event.at.toISOString()),
      ];
      if (runs.length > 0 && events.length > 0) {
        await db.transaction(async (tx) => {
          await tx.query(UPSERT_RUNS, runParamValues);
          await tx.query(INSERT_EVENTS, eventParamValues);
        });
      } else if (runs.length > 0) {
        // A single statement is a transaction of its own: no BEGIN and COMMIT round trips.
        await db.query(UPSERT_RUNS, runParamValues);
      } else if (events.length > 0) {
        await db.query(INSERT_EVENTS, eventParamValues);
      }
    },
    async getRun(runId) {
      const rows = await db.query<SqlRecord>(`SELECT ${runColumnList} FROM runs WHERE run_id = $1`, [runId]);
      return rows[0] === undefined ? undefined : toRunRow(rows[0]);
    },
    async listEvents(runId, afterSeq, limit) {
      const rows = await db.query<SqlRecord>(SELECT_EVENTS, [runId, afterSeq, limit]);
      return rows.map(toRunEventRow);
    },
    async listRuns(filter) {
      const { sql, params } = listRunsQuery(filter);
      const rows = await db.query<SqlRecord>(sql, params);
      return rows.map(toRunRow);
    },
    async listThreadRuns(filter) {
      const { sql, params } = threadRunsQuery(filter);
      const rows = await db.query<SqlRecord>(sql, params);
      return rows.map(toRunRow);
    },
    async claimIdempotencyKey({ run, expiredBefore }) {
      const claimedAt = run.startedAt.toISOString();
      const keyParams = [run.principal, run.idempotencyKey, run.requestDigest, run.runId, claimedAt];
      const runArrays = runParams.map(({ value }) => [value(run)]);
      // The usual case, a key not seen before: one statement.
      const [fast] = await db.query<{ claimed: number; written: number }>(CLAIM_FREE_KEY, [...keyParams, ...runArrays]);
      if (fast?.claimed === 1) {
        return { outcome: "claimed" };
      }
      return db.transaction(async (tx): Promise<IdempotencyOutcome> => {
        const inserted = await tx.query(INSERT_KEY, keyParams);
        if (inserted.length === 0) {
          const [held] = await tx.query<SqlRecord>(HELD_KEY, [run.principal, run.idempotencyKey]);
          const holderId = held?.["run_id"];
          const [holderRecord] =
            typeof holderId === "string" ? await tx.query<SqlRecord>(`SELECT ${runColumnList} FROM runs WHERE run_id = $1`, [holderId]) : [];
          const holder = holderRecord === undefined ? undefined : toRunRow(holderRecord);
          const claimedBefore = held?.["claimed_at"];
          const expired = claimedBefore instanceof Date && claimedBefore < expiredBefore;
          const freed = holder === undefined || holder.status === "failed" || holder.status === "canceled";
          if (holder !== undefined && !expired && !freed) {
            return held?.["request_digest"] === run.requestDigest ? { outcome: "existing", run: holder } : { outcome: "mismatch", run: holder };
          }
          await tx.query(TAKE_OVER_KEY, keyParams);
        }
        await tx.query(UPSERT_RUNS, runArrays);
        return { outcome: "claimed" };
      });
    },
    async deleteKeysClaimedBefore(cutoff, batchSize) {
      const rows = await db.query<{ deleted: number }>(DELETE_KEYS_CLAIMED_BEFORE, [cutoff.toISOString(), batchSize]);
      return rows[0]?.deleted ?? 0;
    },
    async endInterruptedRuns(endedAt) {
      const rows = await db.query<{ ended: number }>(END_INTERRUPTED_RUNS, [endedAt.toISOString()]);
      return rows[0]?.ended ?? 0;
    },
    async heartbeat(replicaId) {
      await db.query(HEARTBEAT, [replicaId]);
    },
    async endRunsOfStoppedReplicas(staleAfterMs, endedAt) {
      const rows = await db.query<{ ended: number }>(END_RUNS_OF_STOPPED_REPLICAS, [Math.round(staleAfterMs), endedAt.toISOString()]);
      return rows[0]?.ended ?? 0;
    },
    async deleteEndedBefore(cutoff, batchSize) {
      const rows = await db.query<{ deleted: number }>(DELETE_ENDED_BEFORE, [cutoff.toISOString(), batchSize]);
      return rows[0]?.deleted ?? 0;
    },
    close: () => db.close(),
  };
}

/**
 * One write per run, as if the batch's writes were applied one after
 * another: a write replaces the one before it unless that one was final.
 * A single upsert cannot touch one row twice, and a batch can hold both
 * writes of a short run. Sorted by id, so concurrent batches lock rows in one
 * order and never deadlock.
 */
function latestWrites(runs: readonly RunRow[]): RunRow[] {
  const byId = new Map<string, RunRow>();
  for (const run of runs) {
    const earlier = byId.get(run.runId);
    if (earlier === undefined || earlier.status === "running") {
      byId.set(run.runId, run);
    }
  }
  return [...byId.values()].sort((a, b) => compareText(a.runId, b.runId));
}

/** Events sorted by (runId, seq), for the same lock order as {@link latestWrites}. */
function inKeyOrder(events: readonly RunEventRow[]): RunEventRow[] {
  return [...events].sort((a, b) => compareText(a.runId, b.runId) || a.seq - b.seq);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The query of {@link RunStore.listRuns}: only the filters given, newest first, keyset on (started_at, run_id). */
function listRunsQuery(filter: RunFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions: string[] = [];
  if (filter.principal !== undefined) {
    conditions.push(`principal = ${param(filter.principal)}`);
  }
  if (filter.status !== undefined) {
    conditions.push(`status = ${param(filter.status)}`);
  }
  if (filter.startedAfter !== undefined) {
    conditions.push(`started_at >= ${param(filter.startedAfter.toISOString())}::timestamptz`);
  }
  if (filter.startedBefore !== undefined) {
    conditions.push(`started_at < ${param(filter.startedBefore.toISOString())}::timestamptz`);
  }
  if (filter.prompt !== undefined) {
    // A prefix test with no LIKE, so that a name's `_` or `%` matches only itself.
    conditions.push(`starts_with(prompt_version, ${param(filter.prompt)}::text || '@')`);
  }
  if (filter.promptVersion !== undefined) {
    conditions.push(`prompt_version = ${param(filter.promptVersion)}`);
  }
  if (filter.model !== undefined) {
    const model = param(filter.model);
    conditions.push(`(model = ${model}::text OR ${model}::text = ANY(models_used))`);
  }
  if (filter.inputContains !== undefined) {
    // strpos, not ILIKE: the text is matched as it is, with no pattern characters to escape.
    conditions.push(`strpos(lower(input), lower(${param(filter.inputContains)}::text)) > 0`);
  }
  if (filter.olderThan !== undefined) {
    const { startedAt, runId } = filter.olderThan;
    conditions.push(`(started_at, run_id) < (${param(startedAt.toISOString())}::timestamptz, ${param(runId)}::text)`);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return {
    sql: `SELECT ${runColumnList} FROM runs ${where} ORDER BY started_at DESC, run_id DESC LIMIT ${param(filter.limit)}`,
    params,
  };
}

/** The query of {@link RunStore.listThreadRuns}: keyset on (started_at, run_id), in the order asked for. */
function threadRunsQuery(filter: ThreadFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [filter.principal, filter.threadId];
  const conditions = ["principal = $1", "thread_id = $2"];
  if (filter.completedOnly === true) {
    conditions.push("status = 'completed'");
  }
  if (filter.newerThan !== undefined) {
    params.push(filter.newerThan.startedAt.toISOString(), filter.newerThan.runId);
    conditions.push(`(started_at, run_id) > ($${params.length - 1}::timestamptz, $${params.length}::text)`);
  }
  params.push(filter.limit);
  const direction = filter.order === "newest" ? "DESC" : "ASC";
  return {
    sql: `SELECT ${runColumnList} FROM runs WHERE ${conditions.join(" AND ")} ORDER BY started_at ${direction}, run_id ${direction} LIMIT $${params.length}`,
    params,
  };
}
