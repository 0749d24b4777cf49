import { describe, expect, it } from "vitest";
import { emptyAuditHead, linkAuditEntries, verifyAuditLog, type AuditHead, type AuditRow, type AuditStore, type KeyedAuditEntry } from "./index.js";

/** A chain in memory, read the way the SQL store reads it: by seq, a page at a time. */
function memoryChain(rows: AuditRow[], head: AuditHead | undefined): Pick<AuditStore, "auditHead" | "readAuditChain"> {
  return {
    auditHead: () => Promise.resolve(head),
    readAuditChain: (afterSeq, throughSeq, limit) =>
      Promise.resolve(
        rows
          .filter((row) => row.seq > afterSeq && row.seq <= throughSeq)
          .sort((a, b) => a.seq - b.seq)
          .slice(0, limit),
      ),
  };
}

function entries(count: number): KeyedAuditEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    entryId: `entry-${index + 1}`,
    action: index % 2 === 0 ? "model_call" : "tool_call",
    principal: "svc-orders",
    runId: "run-1",
    traceId: "0af7651916cd43dd8448eb211c80319c",
    at: new Date(Date.UTC(2025, 0, 1, 12, 0, 0, index)),
    detail: { model: "sim-small", input_tokens: 10 + index, fallback: false },
  }));
}

/** A chain of `count` rows, built the way the store appends them: in batches of 3. */
function chainOf(count: number): { rows: AuditRow[]; head: AuditHead } {
  let head = emptyAuditHead;
  const rows: AuditRow[] = [];
  const all = entries(count);
  for (let start = 0; start < all.length; start += 3) {
    const linked = linkAuditEntries(head, all.slice(start, start + 3));
    rows.push(...linked.rows);
    head = linked.head;
  }
  return { rows, head };
}

/** The row at `seq` with `change` applied. */
function changed(rows: AuditRow[], seq: number, change: Partial<AuditRow>): AuditRow[] {
  return rows.map((row) => (row.seq === seq ? { ...row, ...change } : row));
}

describe("verifyAuditLog", () => {
  it("says ok for an intact chain, across pages, and for an empty one", async () => {
    const { rows, head } = chainOf(25);
    expect(await verifyAuditLog(memoryChain(rows, head), { pageSize: 4 })).toEqual({ ok: true, rowsChecked: 25, headSeq: 25, problem: undefined });
    expect(await verifyAuditLog(memoryChain([], emptyAuditHead))).toEqual({ ok: true, rowsChecked: 0, headSeq: 0, problem: undefined });
  });

  it("checks only up to the head it read first: rows appended meanwhile wait for the next verification", async () => {
    const { rows } = chainOf(10);
    const headAtSeven = { seq: 7, hash: rows[6]?.hash ?? "" };
    expect(await verifyAuditLog(memoryChain(rows, headAtSeven), { pageSize: 3 })).toMatchObject({ ok: true, rowsChecked: 7, headSeq: 7 });
  });

  describe.each<{ field: keyof AuditRow; value: unknown }>([
    { field: "principal", value: "svc-billing" },
    { field: "action", value: "run_started" },
    { field: "runId", value: "run-2" },
    { field: "traceId", value: "ffffffffffffffffffffffffffffffff" },
    { field: "detail", value: '{"fallback":false,"input_tokens":1,"model":"sim-small"}' },
    { field: "at", value: new Date(Date.UTC(2024, 0, 1)) },
    { field: "entryId", value: "entry-forged" },
  ])("a row whose $field was changed", ({ field, value }) => {
    it("is named as a hash mismatch", async () => {
      const { rows, head } = chainOf(12);
      const result = await verifyAuditLog(memoryChain(changed(rows, 6, { [field]: value }), head), { pageSize: 5 });
      expect(result).toMatchObject({ ok: false, rowsChecked: 6, problem: { seq: 6, kind: "hash_mismatch" } });
      expect(result.problem?.message).toBe("seq 6 does not hash to its stored hash: the row was changed");
    });
  });

  it("names the next row when a changed row was given a new hash of its own: it no longer links", async () => {
    const { rows, head } = chainOf(12);
    const [sixth] = entries(12).slice(5);
    const [forged] = linkAuditEntries({ seq: 5, hash: rows[4]?.hash ?? "" }, sixth === undefined ? [] : [{ ...sixth, principal: "svc-billing" }]).rows;
    const result = await verifyAuditLog(memoryChain(changed(rows, 6, forged ?? {}), head));
    expect(result).toMatchObject({ ok: false, rowsChecked: 7, problem: { seq: 7, kind: "broken_link" } });
  });

  it("names the row after a deleted one as a gap", async () => {
    const { rows, head } = chainOf(12);
    const result = await verifyAuditLog(memoryChain(rows.filter((row) => row.seq !== 5), head), { pageSize: 2 });
    expect(result).toMatchObject({ ok: false, rowsChecked: 5, problem: { seq: 6, kind: "gap", message: "seq 5 is missing before seq 6: rows were deleted" } });
  });

  it("names the first row when the chain's first rows were deleted", async () => {
    const { rows, head } = chainOf(6);
    const result = await verifyAuditLog(memoryChain(rows.slice(2), head));
    expect(result.problem).toEqual({ seq: 3, kind: "gap", message: "seqs 1 to 2 are missing before seq 3: rows were deleted" });
  });

  it("names the first missing seq when the chain's last rows were deleted", async () => {
    const { rows, head } = chainOf(12);
    const result = await verifyAuditLog(memoryChain(rows.slice(0, 9), head));
    expect(result).toMatchObject({ ok: false, rowsChecked: 9, headSeq: 12, problem: { seq: 10, kind: "truncated" } });
  });

  it.each([
    { first: 4, second: 5 },
    { first: 3, second: 9 },
  ])("names the earlier of two swapped rows, $first and $second", async ({ first, second }) => {
    const { rows, head } = chainOf(12);
    // Swapping two rows in the table is swapping their seqs: each takes the other's place.
    const swapped = rows.map((row) => (row.seq === first ? { ...row, seq: second } : row.seq === second ? { ...row, seq: first } : row));
    const result = await verifyAuditLog(memoryChain(swapped, head), { pageSize: 3 });
    expect(result).toMatchObject({ ok: false, rowsChecked: first, problem: { seq: first, kind: "broken_link" } });
  });

  it("names the last row when it differs from the head's", async () => {
    const { rows, head } = chainOf(5);
    const result = await verifyAuditLog(memoryChain(rows, { seq: 5, hash: "0".repeat(64) }));
    expect(result).toMatchObject({ ok: false, rowsChecked: 5, problem: { seq: 5, kind: "head_mismatch" } });
    expect(head.hash).not.toBe("0".repeat(64));
  });

  it("says a missing head is a problem, after checking every row there is", async () => {
    const { rows } = chainOf(4);
    expect(await verifyAuditLog(memoryChain(rows, undefined))).toMatchObject({ ok: false, rowsChecked: 4, headSeq: 4, problem: { seq: 5, kind: "head_missing" } });
  });

  it("stops between pages when its signal aborts", async () => {
    const { rows, head } = chainOf(6);
    const reason = new Error("deadline");
    await expect(verifyAuditLog(memoryChain(rows, head), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});

describe("linkAuditEntries", () => {
  it("links each row to the one before it, from the genesis hash, and hashes the canonical detail", () => {
    const { rows } = chainOf(3);
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3]);
    expect(rows[0]?.prevHash).toBe("0".repeat(64));
    expect(rows[1]?.prevHash).toBe(rows[0]?.hash);
    expect(rows[2]?.prevHash).toBe(rows[1]?.hash);
    expect(rows[0]?.detail).toBe('{"fallback":false,"input_tokens":10,"model":"sim-small"}');
    expect(rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("stores a NUL and a lone surrogate as U+FFFD, which PostgreSQL keeps as it is", () => {
    const { rows } = linkAuditEntries(emptyAuditHead, entries(1).map((entry) => ({ ...entry, principal: "a\0b\uD800c" })));
    expect(rows[0]?.principal).toBe("a\uFFFDb\uFFFDc");
  });
});
