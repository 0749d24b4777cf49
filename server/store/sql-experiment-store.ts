import type { ArmOutcomeRow, ExperimentRow, ExperimentStatus, ExperimentStore } from "./experiment-store.js";
import { integer, text, timestamp, type SqlRecord } from "./run-row-codec.js";
import type { SqlDatabase, SqlExecutor } from "./sql-database.js";

const columns = "experiment_id, prompt, arms, canary, canary_state, status, note, started_by, started_at, ended_at, ended_by, end_reason";

const INSERT = `
  INSERT INTO experiments (${columns}) VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8::timestamptz, NULL, '', '')
  ON CONFLICT DO NOTHING
  RETURNING experiment_id`;

const RUNNING_OF_PROMPT = `SELECT ${columns} FROM experiments WHERE prompt = $1 AND status = 'running'`;

const END = `
  UPDATE experiments SET status = $2, ended_by = $3, ended_at = $4::timestamptz, end_reason = $5
  WHERE experiment_id = $1 AND status = 'running'
  RETURNING ${columns}`;

const GET = `SELECT ${columns} FROM experiments WHERE experiment_id = $1`;

const RUNNING = `SELECT ${columns} FROM experiments WHERE status = 'running' ORDER BY prompt`;

const SAVE_STATE = "UPDATE experiments SET canary_state = $2 WHERE experiment_id = $1 AND status = 'running'";

/** The generation row the prompts' catalog polls (see sql-prompt-store.ts): locked, then moved on. */
const NEXT_GENERATION = "UPDATE prompt_generation SET seq = seq + 1 WHERE id = 1 RETURNING seq";

/**
 * Ended runs only: a run still running has no outcome yet. Latency is the
 * run's wall-clock time as recorded; success, a completion with a final
 * answer.
 */
const OUTCOMES = `
  SELECT r.experiment_arm AS arm,
         (r.status = 'completed' AND r.stop_reason = 'final_answer') AS succeeded,
         (extract(epoch FROM (r.ended_at - r.started_at)) * 1000)::double precision AS latency_ms,
         r.total_tokens AS tokens,
         r.cost_usd AS cost_usd,
         f.score AS feedback
  FROM runs r LEFT JOIN run_feedback f ON f.run_id = r.run_id
  WHERE r.experiment_id = $1 AND r.status <> 'running'
    AND ($2::timestamptz IS NULL OR r.started_at >= $2::timestamptz)
    AND ($3::timestamptz IS NULL OR r.started_at < $3::timestamptz)
  ORDER BY r.started_at, r.run_id
  LIMIT $4`;

const UPSERT_FEEDBACK = `
  INSERT INTO run_feedback (run_id, principal, score, comment, at) VALUES ($1, $2, $3, $4, $5::timestamptz)
  ON CONFLICT (run_id) DO UPDATE SET principal = EXCLUDED.principal, score = EXCLUDED.score, comment = EXCLUDED.comment, at = EXCLUDED.at
  RETURNING (xmax = 0) AS first`;

/** Creates the {@link ExperimentStore} on `db`, whose schema `applyMigrations` has brought up to date. */
export function createSqlExperimentStore(db: SqlDatabase): ExperimentStore {
  return {
    startExperiment(row) {
      return db.transaction(async (tx) => {
        await moveGeneration(tx);
        const inserted = await tx.query<SqlRecord>(INSERT, [
          row.experimentId,
          row.prompt,
          row.arms,
          row.canary,
          row.canaryState,
          row.note,
          row.startedBy,
          row.startedAt.toISOString(),
        ]);
        if (inserted.length > 0) {
          return { kind: "started" as const };
        }
        const [running] = await tx.query<SqlRecord>(RUNNING_OF_PROMPT, [row.prompt]);
        if (running === undefined) {
          // The conflict was on the id: ids are random UUIDs, so only a bug repeats one.
          throw new Error(`experiment id ${row.experimentId} is already taken`);
        }
        return { kind: "conflict" as const, running: toExperimentRow(running) };
      });
    },
    endExperiment(experimentId, ending) {
      return db.transaction(async (tx) => {
        await moveGeneration(tx);
        const [ended] = await tx.query<SqlRecord>(END, [experimentId, ending.status, ending.endedBy, ending.endedAt.toISOString(), ending.endReason]);
        if (ended === undefined) {
          // Nothing changed: the generation moves back with the rollback.
          throw notRunning;
        }
        return toExperimentRow(ended);
      }).catch((err: unknown) => {
        if (err === notRunning) {
          return undefined;
        }
        throw err;
      });
    },
    async getExperiment(experimentId) {
      const [record] = await db.query<SqlRecord>(GET, [experimentId]);
      return record === undefined ? undefined : toExperimentRow(record);
    },
    async listExperiments(prompt, limit) {
      const records =
        prompt === undefined
          ? await db.query<SqlRecord>(`SELECT ${columns} FROM experiments ORDER BY started_at DESC, experiment_id LIMIT $1`, [limit])
          : await db.query<SqlRecord>(`SELECT ${columns} FROM experiments WHERE prompt = $1 ORDER BY started_at DESC, experiment_id LIMIT $2`, [prompt, limit]);
      return records.map(toExperimentRow);
    },
    async runningExperiments() {
      return (await db.query<SqlRecord>(RUNNING)).map(toExperimentRow);
    },
    async saveCanaryState(experimentId, state) {
      await db.query(SAVE_STATE, [experimentId, state]);
    },
    async experimentOutcomes(experimentId, window) {
      const records = await db.query<SqlRecord>(OUTCOMES, [experimentId, window.after?.toISOString() ?? null, window.before?.toISOString() ?? null, window.limit]);
      return records.map(toOutcomeRow);
    },
    async submitFeedback(row) {
      const [record] = await db.query<SqlRecord>(UPSERT_FEEDBACK, [row.runId, row.principal, row.score, row.comment, row.at.toISOString()]);
      return { first: record?.["first"] === true };
    },
  };
}

/** Thrown inside endExperiment's transaction to roll it back when the experiment was not running. */
const notRunning = new Error("the experiment is not running");

async function moveGeneration(tx: SqlExecutor): Promise<void> {
  const [record] = await tx.query<SqlRecord>(NEXT_GENERATION);
  if (record === undefined) {
    throw new Error("the prompts' generation row (table prompt_generation, id 1) is missing: no experiment can start or end until it is restored");
  }
}

const statuses: readonly ExperimentStatus[] = ["running", "stopped", "rolled_back", "promoted"];

function toExperimentRow(record: SqlRecord): ExperimentRow {
  const status = text(record, "status");
  if (!(statuses as readonly string[]).includes(status)) {
    throw new TypeError(`experiments.status holds ${JSON.stringify(status)}`);
  }
  return {
    experimentId: text(record, "experiment_id"),
    prompt: text(record, "prompt"),
    arms: text(record, "arms"),
    canary: text(record, "canary"),
    canaryState: text(record, "canary_state"),
    status: status as ExperimentStatus,
    note: text(record, "note"),
    startedBy: text(record, "started_by"),
    startedAt: timestamp(record, "started_at"),
    endedAt: record["ended_at"] === null ? undefined : timestamp(record, "ended_at"),
    endedBy: text(record, "ended_by"),
    endReason: text(record, "end_reason"),
  };
}

function toOutcomeRow(record: SqlRecord): ArmOutcomeRow {
  const latency = record["latency_ms"];
  const cost = record["cost_usd"];
  const feedback = record["feedback"];
  return {
    arm: text(record, "arm"),
    succeeded: record["succeeded"] === true,
    latencyMs: typeof latency === "number" ? latency : Number(latency),
    tokens: integer(record, "tokens"),
    costUsd: typeof cost === "number" ? cost : Number(cost),
    feedback: feedback === null || feedback === undefined ? undefined : Number(feedback),
  };
}
