import { checkAuditHead, checkAuditRow, emptyAuditHead, type AuditProblem } from "./audit-chain.js";
import type { AuditHead, AuditStore } from "./audit-store.js";

/** What {@link verifyAuditLog} found. */
export interface AuditVerification {
  /** True when every row verified, up to the head. */
  readonly ok: boolean;
  /** Rows checked, the first bad one included. */
  readonly rowsChecked: number;
  /** The head's seq when the verification started (the last seq checked when the head is missing). */
  readonly headSeq: number;
  /** The first row that does not verify, and why; undefined when ok. */
  readonly problem: AuditProblem | undefined;
}

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** Rows read per query. Default 1,000. */
  readonly pageSize?: number;
  /** Stops the walk between two pages, rejecting with its reason. Default never. */
  readonly signal?: AbortSignal;
}

/**
 * Walks the audit chain in seq order, a page at a time, from its first row
 * to the head as it was when the walk started (rows appended meanwhile are
 * left for the next verification), checking each row against the one before
 * it (see `checkAuditRow`), then the last one against the head. Resolves with
 * the first row that does not verify; rejects only when the store does.
 */
export async function verifyAuditLog(
  store: Pick<AuditStore, "auditHead" | "readAuditChain">,
  options: VerifyAuditLogOptions = {},
): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 1_000;
  const head = await store.auditHead();
  // Without a head, every row there is gets checked, and the end cannot be.
  const throughSeq = head?.seq ?? Number.MAX_SAFE_INTEGER;
  let last: AuditHead = emptyAuditHead;
  let rowsChecked = 0;
  const failed = (problem: AuditProblem): AuditVerification => ({ ok: false, rowsChecked, headSeq: head?.seq ?? last.seq, problem });
  for (;;) {
    options.signal?.throwIfAborted();
    const rows = await store.readAuditChain(last.seq, throughSeq, pageSize);
    for (const row of rows) {
      rowsChecked += 1;
      const problem = checkAuditRow(last, row);
      if (problem !== undefined) {
        return failed(problem);
      }
      last = { seq: row.seq, hash: row.hash };
    }
    if (rows.length < pageSize) {
      break;
    }
  }
  if (head === undefined) {
    return failed({
      seq: last.seq + 1,
      kind: "head_missing",
      message: `the chain's head is missing: rows up to seq ${last.seq} verify, but whether rows after them were deleted cannot be told`,
    });
  }
  const problem = checkAuditHead(last, head);
  return problem === undefined ? { ok: true, rowsChecked, headSeq: head.seq, problem: undefined } : failed(problem);
}
