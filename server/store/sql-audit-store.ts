import { linkAuditEntries } from "./audit-chain.js";
import type { AuditFilter, AuditHead, AuditRow, AuditStore } from "./audit-store.js";
import { integer, text, timestamp, type SqlRecord } from "./run-row-codec.js";
import type { SqlDatabase, SqlExecutor } from "./sql-database.js";

const auditColumnList = "seq, entry_id, at, principal, action, run_id, trace_id, detail, prev_hash, hash";

/**
 * The chain's head, locked until the append's transaction ends: appends
 * from every replica queue here, so each reads the head the previous one
 * left and the chain stays one total order.
 */
const LOCK_HEAD = "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE";

const READ_HEAD = "SELECT seq, hash FROM audit_chain_head WHERE id = 1";

const MOVE_HEAD = "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1";

/** Entries of a retried batch that its first attempt did store, though its answer was lost. */
const STORED_ENTRY_IDS = "SELECT entry_id FROM audit_log WHERE entry_id = ANY($1::text[])";

/** Inserts linked rows from one array per column. */
const INSERT_ROWS = `
  INSERT INTO audit_log (${auditColumnList})
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])`;

const READ_CHAIN = `
  SELECT ${auditColumnList} FROM audit_log
  WHERE seq > $1 AND seq <= $2
  ORDER BY seq
  LIMIT $3`;

/**
 * Creates the {@link AuditStore} on `db`, whose schema `applyMigrations` has
 * brought up to date. The same SQL serves PostgreSQL and PGlite; the rows'
 * hashes are computed here, inside the append's transaction, because only
 * there is the previous hash known.
 */
export function createSqlAuditStore(db: SqlDatabase): AuditStore {
  return {
    appendAudit(entries) {
      return db.transaction(async (tx) => {
        const head = await lockedHead(tx);
        const stored = new Set(
          (await tx.query<SqlRecord>(STORED_ENTRY_IDS, [entries.map((entry) => entry.entryId)])).map((record) => text(record, "entry_id")),
        );
        const fresh = stored.size === 0 ? entries : entries.filter((entry) => !stored.has(entry.entryId));
        if (fresh.length === 0) {
          return head;
        }
        const linked = linkAuditEntries(head, fresh);
        await tx.query(INSERT_ROWS, [
          linked.rows.map((row) => row.seq),
          linked.rows.map((row) => row.entryId),
          linked.rows.map((row) => row.at.toISOString()),
          linked.rows.map((row) => row.principal),
          linked.rows.map((row) => row.action),
          linked.rows.map((row) => row.runId),
          linked.rows.map((row) => row.traceId),
          linked.rows.map((row) => row.detail),
          linked.rows.map((row) => row.prevHash),
          linked.rows.map((row) => row.hash),
        ]);
        await tx.query(MOVE_HEAD, [linked.head.seq, linked.head.hash]);
        return linked.head;
      });
    },
    async auditHead() {
      const [record] = await db.query<SqlRecord>(READ_HEAD);
      return record === undefined ? undefined : toAuditHead(record);
    },
    async readAuditChain(afterSeq, throughSeq, limit) {
      const records = await db.query<SqlRecord>(READ_CHAIN, [afterSeq, throughSeq, limit]);
      return records.map(toAuditRow);
    },
    async listAuditEvents(filter) {
      const { sql, params } = listAuditQuery(filter);
      const records = await db.query<SqlRecord>(sql, params);
      return records.map(toAuditRow);
    },
  };
}

async function lockedHead(tx: SqlExecutor): Promise<AuditHead> {
  const [record] = await tx.query<SqlRecord>(LOCK_HEAD);
  if (record === undefined) {
    // Only a hand on the database removes it (migration 4 creates it): appending
    // without it would start a second chain. The writer logs this and retries.
    throw new Error("the audit log's chain head (table audit_chain_head, id 1) is missing: nothing is appended until it is restored");
  }
  return toAuditHead(record);
}

/** The query of {@link AuditStore.listAuditEvents}: only the filters given, oldest first, keyset on seq. */
function listAuditQuery(filter: AuditFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions: string[] = [];
  if (filter.principal !== undefined) {
    conditions.push(`principal = ${param(filter.principal)}`);
  }
  if (filter.runId !== undefined) {
    conditions.push(`run_id = ${param(filter.runId)}`);
  }
  if (filter.after !== undefined) {
    conditions.push(`at >= ${param(filter.after.toISOString())}::timestamptz`);
  }
  if (filter.before !== undefined) {
    conditions.push(`at < ${param(filter.before.toISOString())}::timestamptz`);
  }
  if (filter.afterSeq !== undefined) {
    conditions.push(`seq > ${param(filter.afterSeq)}`);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return { sql: `SELECT ${auditColumnList} FROM audit_log ${where} ORDER BY seq LIMIT ${param(filter.limit)}`, params };
}

function toAuditHead(record: SqlRecord): AuditHead {
  return { seq: integer(record, "seq"), hash: text(record, "hash") };
}

function toAuditRow(record: SqlRecord): AuditRow {
  return {
    seq: integer(record, "seq"),
    entryId: text(record, "entry_id"),
    at: timestamp(record, "at"),
    principal: text(record, "principal"),
    action: text(record, "action"),
    runId: text(record, "run_id"),
    traceId: text(record, "trace_id"),
    detail: text(record, "detail"),
    prevHash: text(record, "prev_hash"),
    hash: text(record, "hash"),
  };
}
