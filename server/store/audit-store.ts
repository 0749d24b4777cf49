/**
 * What the service keeps in its audit log, and the interface it keeps it
 * through: one hash chain of rows (see `audit-chain.ts`), on the same
 * PostgreSQL or PGlite as the runs.
 */

/** What an audit row records. */
export type AuditAction = "run_started" | "run_ended" | "model_call" | "tool_call" | "call_denied" | "prompt_registered" | "prompt_activated" | "experiment_started" | "experiment_ended";

/** A value of an audit row's detail: flat, so that its canonical form is plain JSON with sorted keys. */
export type AuditDetailValue = string | number | boolean;

/** One action, as the service reports it; the store gives it its place in the chain. */
export interface AuditEntry {
  readonly action: AuditAction;
  /** Who acted, as authentication established it; empty when not known (a call refused before authentication). */
  readonly principal: string;
  /** The run it belongs to; empty when none. */
  readonly runId: string;
  /** The W3C trace id of the call. */
  readonly traceId: string;
  /** When it happened, on this replica's clock. */
  readonly at: Date;
  /** A few fields that depend on the action; never an input, an output or a tool's arguments. */
  readonly detail: Readonly<Record<string, AuditDetailValue>>;
}

/** An entry with the id that makes appending it idempotent: a retried batch appends it once. */
export interface KeyedAuditEntry extends AuditEntry {
  /** Unique per entry (a UUID), chosen once by the writer and kept across its retries. */
  readonly entryId: string;
}

/** One row of the chain, as stored. */
export interface AuditRow {
  /** Position in the chain, from 1, without gaps. */
  readonly seq: number;
  readonly entryId: string;
  readonly at: Date;
  readonly principal: string;
  readonly action: string;
  readonly runId: string;
  readonly traceId: string;
  /** The detail's canonical JSON (sorted keys), exactly the text that was hashed. */
  readonly detail: string;
  /** Hex SHA-256 of the previous row; the genesis hash (64 zeros) before the first. */
  readonly prevHash: string;
  /** Hex SHA-256 of `prevHash` and this row's fields (see `auditRowHash`). */
  readonly hash: string;
}

/** The chain's last row, as its head records it: seq 0 and the genesis hash while the log is empty. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** Filters of {@link AuditStore.listAuditEvents}; every field but `limit` optional. */
export interface AuditFilter {
  readonly principal?: string;
  readonly runId?: string;
  /** Rows at or after. */
  readonly after?: Date;
  /** Rows before. */
  readonly before?: Date;
  /** Keyset cursor: only rows with a larger seq, for the next page. */
  readonly afterSeq?: number;
  /** Page size. */
  readonly limit: number;
}

/** The audit log's store. */
export interface AuditStore {
  /**
   * Appends `entries`, in order, at the end of the chain, in one transaction
   * that holds the chain's head: appends from several replicas at once form
   * one chain. An entry whose `entryId` is already stored is skipped, so a
   * retried batch appends nothing twice. Resolves with the head after it.
   */
  appendAudit(entries: readonly KeyedAuditEntry[]): Promise<AuditHead>;
  /**
   * The chain's head: its last seq and hash. Undefined when its row is
   * missing, which only a hand on the database does (the schema creates it).
   */
  auditHead(): Promise<AuditHead | undefined>;
  /** Rows with `afterSeq < seq <= throughSeq`, in seq order, at most `limit`: for verification. */
  readAuditChain(afterSeq: number, throughSeq: number, limit: number): Promise<AuditRow[]>;
  /** Rows matching `filter`, in seq order (oldest first). */
  listAuditEvents(filter: AuditFilter): Promise<AuditRow[]>;
}
