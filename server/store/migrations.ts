import type { SqlDatabase } from "./sql-database.js";

/** One step of the schema. Once released, a migration never changes: a new one follows it. */
export interface Migration {
  /** From 1, increasing by one. */
  readonly version: number;
  readonly name: string;
  /** Statements separated by `;`, without parameters; the same on PostgreSQL and PGlite. */
  readonly sql: string;
}

/**
 * The schema, in order. Runs have no foreign key from their events: events
 * may land before their run's row, when the batch that carried it was dropped.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "runs and run events",
    sql: `
      CREATE TABLE runs (
        run_id text PRIMARY KEY,
        principal text NOT NULL,
        thread_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'canceled')),
        input text NOT NULL,
        output text NOT NULL,
        prompt_version text NOT NULL,
        model text NOT NULL,
        models_used text[] NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        total_tokens bigint NOT NULL,
        cost_usd double precision NOT NULL,
        iterations integer NOT NULL,
        stop_reason text NOT NULL,
        error_code text NOT NULL,
        error_message text NOT NULL,
        trace_id text NOT NULL,
        idempotency_key text NOT NULL,
        request_digest text NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        result bytea
      );
      CREATE INDEX runs_started_idx ON runs (started_at DESC, run_id DESC);
      CREATE INDEX runs_principal_started_idx ON runs (principal, started_at DESC, run_id DESC);
      CREATE INDEX runs_status_started_idx ON runs (status, started_at DESC);
      CREATE INDEX runs_thread_started_idx ON runs (thread_id, started_at) WHERE thread_id <> '';
      CREATE UNIQUE INDEX runs_idempotency_key_idx ON runs (principal, idempotency_key) WHERE idempotency_key <> '';
      CREATE INDEX runs_ended_idx ON runs (ended_at);

      CREATE TABLE run_events (
        run_id text NOT NULL,
        seq integer NOT NULL,
        last_seq integer NOT NULL CHECK (last_seq >= seq),
        kind text NOT NULL,
        payload bytea NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: "idempotency keys, run error status, thread index",
    sql: `
      ALTER TABLE runs ADD COLUMN error_status text NOT NULL DEFAULT '';
      DROP INDEX runs_idempotency_key_idx;
      CREATE TABLE idempotency_keys (
        principal text NOT NULL,
        idempotency_key text NOT NULL,
        request_digest text NOT NULL,
        run_id text NOT NULL,
        claimed_at timestamptz NOT NULL,
        PRIMARY KEY (principal, idempotency_key)
      );
      CREATE INDEX idempotency_keys_claimed_idx ON idempotency_keys (claimed_at);
      DROP INDEX runs_thread_started_idx;
      CREATE INDEX runs_thread_started_idx ON runs (principal, thread_id, started_at, run_id) WHERE thread_id <> '';
    `,
  },
  {
    version: 3,
    name: "replicas and the runs they run",
    sql: `
      ALTER TABLE runs ADD COLUMN replica_id text NOT NULL DEFAULT '';
      CREATE INDEX runs_running_replica_idx ON runs (replica_id) WHERE status = 'running';
      CREATE TABLE replicas (
        replica_id text PRIMARY KEY,
        heartbeat_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: "audit log, one hash chain",
    // The head row is what appends lock (see sql-audit-store.ts) and what a
    // verification checks the chain's end against; `detail` is the exact
    // canonical JSON text that was hashed, so it is text, not jsonb.
    sql: `
      CREATE TABLE audit_log (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        entry_id text NOT NULL UNIQUE,
        at timestamptz NOT NULL,
        principal text NOT NULL,
        action text NOT NULL,
        run_id text NOT NULL,
        trace_id text NOT NULL,
        detail text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE INDEX audit_log_principal_idx ON audit_log (principal, seq);
      CREATE INDEX audit_log_run_idx ON audit_log (run_id, seq) WHERE run_id <> '';
      CREATE INDEX audit_log_at_idx ON audit_log (at);
      CREATE TABLE audit_chain_head (
        id integer PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL,
        hash text NOT NULL
      );
      INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));
    `,
  },
  {
    version: 5,
    name: "prompt versions and their activations",
    // `content` is the canonical JSON the version's hash is computed over,
    // kept as text so that it can be hashed again as it is. Activations take
    // their seq from the one generation row, locked by each: they commit in
    // seq order, so a replica that polls the generation misses none.
    sql: `
      CREATE TABLE prompt_versions (
        name text NOT NULL,
        version text NOT NULL,
        content text NOT NULL,
        author text NOT NULL,
        note text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (name, version)
      );
      CREATE INDEX prompt_versions_created_idx ON prompt_versions (name, created_at DESC);
      CREATE TABLE prompt_activations (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        name text NOT NULL,
        version text NOT NULL,
        activated_by text NOT NULL,
        activated_at timestamptz NOT NULL,
        note text NOT NULL,
        FOREIGN KEY (name, version) REFERENCES prompt_versions (name, version)
      );
      CREATE INDEX prompt_activations_name_idx ON prompt_activations (name, seq DESC);
      CREATE TABLE prompts (
        name text PRIMARY KEY,
        active_version text NOT NULL,
        activation_seq bigint NOT NULL,
        FOREIGN KEY (name, active_version) REFERENCES prompt_versions (name, version)
      );
      CREATE TABLE prompt_generation (
        id integer PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL
      );
      INSERT INTO prompt_generation (id, seq) VALUES (1, 0);
    `,
  },
  {
    version: 6,
    name: "prompt experiments, runs' arms and feedback",
    // At most one experiment runs per prompt: the partial unique index
    // refuses a second one, whichever replica starts it.
    sql: `
      CREATE TABLE experiments (
        experiment_id text PRIMARY KEY,
        prompt text NOT NULL,
        arms text NOT NULL,
        canary text NOT NULL,
        canary_state text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'stopped', 'rolled_back', 'promoted')),
        note text NOT NULL,
        started_by text NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        ended_by text NOT NULL,
        end_reason text NOT NULL
      );
      CREATE UNIQUE INDEX experiments_running_idx ON experiments (prompt) WHERE status = 'running';
      CREATE INDEX experiments_prompt_idx ON experiments (prompt, started_at DESC);
      ALTER TABLE runs ADD COLUMN experiment_id text NOT NULL DEFAULT '';
      ALTER TABLE runs ADD COLUMN experiment_arm text NOT NULL DEFAULT '';
      CREATE INDEX runs_experiment_idx ON runs (experiment_id, experiment_arm, started_at) WHERE experiment_id <> '';
      CREATE TABLE run_feedback (
        run_id text PRIMARY KEY,
        principal text NOT NULL,
        score double precision NOT NULL,
        comment text NOT NULL,
        at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: "whether a fallback answered a run",
    // Runs recorded before it read as answered by their primary, which is what their records can tell.
    sql: `
      ALTER TABLE runs ADD COLUMN fallback_used boolean NOT NULL DEFAULT false;
    `,
  },
];

/**
 * Key of the advisory lock that serialises migrations across replicas: fixed,
 * and unlikely to be chosen by anything else sharing the database (a
 * 64-bit value, passed as text because a JavaScript number cannot hold it).
 */
const MIGRATION_LOCK_KEY = "7160928411650183226";

/**
 * Brings the schema up to date: in one transaction, under an advisory lock,
 * creates `schema_migrations` if missing and applies, in order, every
 * migration it does not record. Safe when several replicas start at once (the
 * others wait on the lock, then find nothing to do) and a no-op when current.
 * Returns the versions it applied. A failing step rejects with an Error that
 * names it, the database's error as its cause; nothing of it is kept.
 */
export async function applyMigrations(db: SqlDatabase, steps: readonly Migration[] = migrations): Promise<number[]> {
  assertOrdered(steps);
  let current: Migration | undefined;
  try {
    return await db.transaction(async (tx) => {
      // Released by the commit or rollback; the lock waits, bounded by the statement timeout.
      await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
      await tx.exec(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )
      `);
      const recorded = await tx.query<{ version: number }>("SELECT version FROM schema_migrations");
      const done = new Set(recorded.map((row) => row.version));
      const applied: number[] = [];
      for (const step of steps) {
        if (done.has(step.version)) {
          continue;
        }
        current = step;
        await tx.exec(step.sql);
        await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [step.version, step.name]);
        current = undefined;
        applied.push(step.version);
      }
      return applied;
    });
  } catch (err) {
    // Named after the transaction, so the driver still sees its own error and rolls back cleanly.
    if (current === undefined) {
      throw err;
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`migration ${current.version} "${current.name}" failed: ${reason}`, { cause: err });
  }
}

function assertOrdered(steps: readonly Migration[]): void {
  steps.forEach((step, index) => {
    if (step.version !== index + 1) {
      throw new Error(`migration "${step.name}" has version ${step.version}; expected ${index + 1}`);
    }
  });
}
