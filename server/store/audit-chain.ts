import { createHash } from "node:crypto";
import type { AuditDetailValue, AuditHead, AuditRow, KeyedAuditEntry } from "./audit-store.js";

/** The previous hash of the first row: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64);

/** The head of an empty chain. */
export const emptyAuditHead: AuditHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/**
 * The detail's canonical JSON: keys sorted by code unit, no whitespace, each
 * value as `JSON.stringify` writes it (a non-finite number as `null`). Built
 * by hand rather than through an object, which would put integer-like keys
 * first whatever their order.
 */
export function canonicalDetail(detail: Readonly<Record<string, AuditDetailValue>>): string {
  const fields = Object.keys(detail)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${JSON.stringify(detail[key]) ?? "null"}`);
  return `{${fields.join(",")}}`;
}

/**
 * The row's hash: hex SHA-256 of its previous hash, a newline, and a JSON
 * array of its other fields in a fixed order (seq, entry id, time as ISO
 * text with milliseconds, principal, action, run id, trace id, canonical
 * detail). Every field is in it, so changing any of them, or the row's
 * place (its seq, or the hash it links to), changes the hash.
 */
export function auditRowHash(row: Omit<AuditRow, "hash">): string {
  const fields = JSON.stringify([row.seq, row.entryId, row.at.toISOString(), row.principal, row.action, row.runId, row.traceId, row.detail]);
  return createHash("sha256").update(`${row.prevHash}\n${fields}`).digest("hex");
}

/**
 * The rows `entries` become after `head`, in order, each linked to the one
 * before it, and the head after them. Text is made storable first (see
 * {@link storableText}), so the hash is of exactly what the database keeps.
 */
export function linkAuditEntries(head: AuditHead, entries: readonly KeyedAuditEntry[]): { rows: AuditRow[]; head: AuditHead } {
  const rows: AuditRow[] = [];
  let previous = head;
  for (const entry of entries) {
    const unhashed = {
      seq: previous.seq + 1,
      entryId: storableText(entry.entryId),
      at: entry.at,
      principal: storableText(entry.principal),
      action: entry.action,
      runId: storableText(entry.runId),
      traceId: storableText(entry.traceId),
      detail: canonicalDetail(entry.detail),
      prevHash: previous.hash,
    };
    const row = { ...unhashed, hash: auditRowHash(unhashed) };
    rows.push(row);
    previous = { seq: row.seq, hash: row.hash };
  }
  return { rows, head: previous };
}

/** Why a row does not verify. */
export type AuditProblemKind =
  /** The row's fields do not give its hash: the row was changed. */
  | "hash_mismatch"
  /** The row links to another hash than the previous row's: a row before it was changed, removed or moved. */
  | "broken_link"
  /** Seqs are missing before the row: rows were deleted. */
  | "gap"
  /** The chain ends before its head's seq: its last rows were deleted. */
  | "truncated"
  /** The last row is not the one the head records. */
  | "head_mismatch"
  /** The head's row is gone: whether rows were deleted at the end cannot be told. */
  | "head_missing";

/** A row that does not verify. */
export interface AuditProblem {
  readonly seq: number;
  readonly kind: AuditProblemKind;
  /** What is wrong, for a person. */
  readonly message: string;
}

/**
 * Checks one row against the verified row before it (or the empty head):
 * its seq follows, it links to that row's hash, and its hash is its
 * fields'. Undefined when it verifies.
 */
export function checkAuditRow(previous: AuditHead, row: AuditRow): AuditProblem | undefined {
  const expectedSeq = previous.seq + 1;
  if (row.seq > expectedSeq) {
    const missing = row.seq - 1 === expectedSeq ? `seq ${expectedSeq} is` : `seqs ${expectedSeq} to ${row.seq - 1} are`;
    return { seq: row.seq, kind: "gap", message: `${missing} missing before seq ${row.seq}: rows were deleted` };
  }
  if (row.seq < expectedSeq) {
    return { seq: row.seq, kind: "gap", message: `seq ${row.seq} comes after seq ${previous.seq}: the chain is out of order` };
  }
  if (row.prevHash !== previous.hash) {
    return {
      seq: row.seq,
      kind: "broken_link",
      message: `seq ${row.seq} links to ${row.prevHash}, not to the hash of the row before it (${previous.hash}): a row before it was changed, removed or moved`,
    };
  }
  const hash = auditRowHash(row);
  if (hash !== row.hash) {
    return { seq: row.seq, kind: "hash_mismatch", message: `seq ${row.seq} does not hash to its stored hash: the row was changed` };
  }
  return undefined;
}

/**
 * Checks where the walk ended against the head read before it: the last
 * verified row must be the head's. Undefined when it is.
 */
export function checkAuditHead(last: AuditHead, head: AuditHead): AuditProblem | undefined {
  if (last.seq < head.seq) {
    const missing = last.seq + 1 === head.seq ? `seq ${head.seq} is` : `seqs ${last.seq + 1} to ${head.seq} are`;
    return { seq: last.seq + 1, kind: "truncated", message: `${missing} missing at the end of the chain, whose head records seq ${head.seq}: rows were deleted` };
  }
  if (last.hash !== head.hash) {
    return { seq: last.seq, kind: "head_mismatch", message: `seq ${last.seq} does not have the hash the chain's head records: the row was changed` };
  }
  return undefined;
}

/** Lone surrogates that UTF-8 cannot hold. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` as PostgreSQL stores it: a NUL (which `text` refuses, failing the
 * whole batch for ever) and a lone surrogate (which the driver would
 * replace on the way in, so the stored row would no longer match its hash)
 * each become U+FFFD. A principal from a JWT or a tool name from a model can
 * hold either.
 */
export function storableText(text: string): string {
  return text.replaceAll("\0", "\uFFFD").replace(loneSurrogate, "\uFFFD");
}
