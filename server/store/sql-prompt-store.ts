import type { PromptActivationOutcome, PromptActivationRequest, PromptActivationRow, PromptStore, PromptVersionRow } from "./prompt-store.js";
import { integer, text, timestamp, type SqlRecord } from "./run-row-codec.js";
import type { SqlDatabase, SqlExecutor } from "./sql-database.js";

const versionColumns = "name, version, content, author, note, created_at";
const activationColumns = "seq, name, version, activated_by, activated_at, note";

const INSERT_VERSION = `
  INSERT INTO prompt_versions (${versionColumns}) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)
  ON CONFLICT (name, version) DO NOTHING
  RETURNING ${versionColumns}`;

const GET_VERSION = `SELECT ${versionColumns} FROM prompt_versions WHERE name = $1 AND version = $2`;

const LIST_VERSIONS = `SELECT ${versionColumns} FROM prompt_versions WHERE name = $1 ORDER BY created_at DESC, version`;

const LIST_ACTIVATIONS = `SELECT ${activationColumns} FROM prompt_activations WHERE name = $1 ORDER BY seq DESC LIMIT $2`;

/**
 * The generation row, locked until the transaction ends: every activation,
 * of any prompt, queues here, so activations commit in the order of their
 * seq and a replica polling the generation cannot miss one.
 */
const LOCK_GENERATION = "SELECT seq FROM prompt_generation WHERE id = 1 FOR UPDATE";

const NEXT_GENERATION = "UPDATE prompt_generation SET seq = seq + 1 WHERE id = 1 RETURNING seq";

const ACTIVE_VERSION = "SELECT active_version FROM prompts WHERE name = $1";

const INSERT_ACTIVATION = `
  INSERT INTO prompt_activations (seq, name, version, activated_by, activated_at, note) VALUES ($1, $2, $3, $4, $5::timestamptz, $6)
  RETURNING ${activationColumns}`;

const UPSERT_PROMPT = `
  INSERT INTO prompts (name, active_version, activation_seq) VALUES ($1, $2, $3)
  ON CONFLICT (name) DO UPDATE SET active_version = EXCLUDED.active_version, activation_seq = EXCLUDED.activation_seq`;

const ACTIVE_PROMPTS = `
  SELECT ${versionColumns.split(", ").map((column) => `v.${column}`).join(", ")}
  FROM prompts p JOIN prompt_versions v ON v.name = p.name AND v.version = p.active_version
  ORDER BY p.name`;

const GENERATION = "SELECT seq AS generation FROM prompt_generation WHERE id = 1";

/**
 * Creates the {@link PromptStore} on `db`, whose schema `applyMigrations` has
 * brought up to date. The same SQL serves PostgreSQL and PGlite.
 */
export function createSqlPromptStore(db: SqlDatabase): PromptStore {
  return {
    registerPromptVersion(row, activate, activatedBy) {
      return db.transaction(async (tx) => {
        const [inserted] = await tx.query<SqlRecord>(INSERT_VERSION, [row.name, row.version, row.content, row.author, row.note, row.createdAt.toISOString()]);
        const stored = inserted === undefined ? await getVersion(tx, row.name, row.version) : toVersionRow(inserted);
        if (stored === undefined) {
          // ON CONFLICT found the row, and then it was gone: only a hand on the database does that.
          throw new Error(`prompt ${row.name} version ${row.version} vanished while it was registered`);
        }
        await lockGeneration(tx);
        const [current] = await tx.query<SqlRecord>(ACTIVE_VERSION, [row.name]);
        const outcome =
          activate || current === undefined
            ? await activateLocked(tx, current, { name: row.name, version: row.version, activatedBy, activatedAt: row.createdAt, note: row.note })
            : undefined;
        return { row: stored, created: inserted !== undefined, activation: outcome?.kind === "activated" ? outcome : undefined };
      });
    },
    getPromptVersion: (name, version) => getVersion(db, name, version),
    async listPromptVersions(name) {
      return (await db.query<SqlRecord>(LIST_VERSIONS, [name])).map(toVersionRow);
    },
    async listPromptActivations(name, limit) {
      return (await db.query<SqlRecord>(LIST_ACTIVATIONS, [name, limit])).map(toActivationRow);
    },
    activatePromptVersion(request) {
      return db.transaction(async (tx) => {
        if ((await getVersion(tx, request.name, request.version)) === undefined) {
          return { kind: "not_found" };
        }
        await lockGeneration(tx);
        const [current] = await tx.query<SqlRecord>(ACTIVE_VERSION, [request.name]);
        return activateLocked(tx, current, request);
      });
    },
    async activePrompts() {
      // One transaction, so the generation is that of the versions read.
      return db.transaction(async (tx) => {
        const [generation] = await tx.query<SqlRecord>(GENERATION);
        const prompts = (await tx.query<SqlRecord>(ACTIVE_PROMPTS)).map(toVersionRow);
        return { generation: generation === undefined ? 0 : integer(generation, "generation"), prompts };
      });
    },
    async promptsGeneration() {
      const [record] = await db.query<SqlRecord>(GENERATION);
      return record === undefined ? 0 : integer(record, "generation");
    },
  };
}

async function lockGeneration(tx: SqlExecutor): Promise<void> {
  const [record] = await tx.query<SqlRecord>(LOCK_GENERATION);
  if (record === undefined) {
    // Only a hand on the database removes it (migration 5 creates it).
    throw new Error("the prompts' generation row (table prompt_generation, id 1) is missing: no prompt can be activated until it is restored");
  }
}

/**
 * Activates `request` on a prompt whose active version is `current`
 * (undefined for a new prompt), in a transaction that holds the generation.
 */
async function activateLocked(tx: SqlExecutor, current: SqlRecord | undefined, request: PromptActivationRequest): Promise<PromptActivationOutcome> {
  const previousVersion = current === undefined ? undefined : text(current, "active_version");
  if (previousVersion === request.version) {
    return { kind: "unchanged" };
  }
  const [generation] = await tx.query<SqlRecord>(NEXT_GENERATION);
  if (generation === undefined) {
    throw new Error("UPDATE … RETURNING returned no row");
  }
  const [record] = await tx.query<SqlRecord>(INSERT_ACTIVATION, [
    integer(generation, "seq"),
    request.name,
    request.version,
    request.activatedBy,
    request.activatedAt.toISOString(),
    request.note,
  ]);
  if (record === undefined) {
    throw new Error("INSERT … RETURNING returned no row");
  }
  const activation = toActivationRow(record);
  await tx.query(UPSERT_PROMPT, [request.name, request.version, activation.seq]);
  return { kind: "activated", activation, previousVersion };
}

async function getVersion(executor: SqlExecutor, name: string, version: string): Promise<PromptVersionRow | undefined> {
  const [record] = await executor.query<SqlRecord>(GET_VERSION, [name, version]);
  return record === undefined ? undefined : toVersionRow(record);
}

function toVersionRow(record: SqlRecord): PromptVersionRow {
  return {
    name: text(record, "name"),
    version: text(record, "version"),
    content: text(record, "content"),
    author: text(record, "author"),
    note: text(record, "note"),
    createdAt: timestamp(record, "created_at"),
  };
}

function toActivationRow(record: SqlRecord): PromptActivationRow {
  return {
    seq: integer(record, "seq"),
    name: text(record, "name"),
    version: text(record, "version"),
    activatedBy: text(record, "activated_by"),
    activatedAt: timestamp(record, "activated_at"),
    note: text(record, "note"),
  };
}
