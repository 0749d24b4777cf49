import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTemplate } from "../../test/support/store-template.js";
import {
  applyMigrations,
  createPgliteDatabase,
  createPostgresDatabase,
  createSqlAuditStore,
  openStore,
  verifyAuditLog,
  type AuditStore,
  type KeyedAuditEntry,
  type SqlDatabase,
} from "./index.js";
import { uniqueId } from "./testing/run-fixtures.js";
import { createTestPostgresDatabase, type TestPostgresDatabase } from "./testing/test-postgres.js";

/** Each engine the audit log runs on, with its database at hand to tamper with. */
const engines: { name: string; open(): Promise<{ db: SqlDatabase; dispose(): Promise<void> }> }[] = [
  {
    name: "PGlite",
    async open() {
      const db = await createPgliteDatabase({ dataDir: "memory://", template: storeTemplate() });
      return { db, dispose: () => db.close() };
    },
  },
  {
    name: "PostgreSQL",
    async open() {
      const database = await createTestPostgresDatabase();
      const db = createPostgresDatabase({ url: database.url });
      return { db, dispose: async () => (await db.close(), await database.drop()) };
    },
  },
];

let entryCount = 0;

/** An entry with every field set, the principal naming the test. */
function entry(principal: string, fields: Partial<KeyedAuditEntry> = {}): KeyedAuditEntry {
  entryCount += 1;
  return {
    entryId: uniqueId("entry"),
    action: "tool_call",
    principal,
    runId: "run-7",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    at: new Date(Date.UTC(2025, 4, 1, 9, 30, 0, entryCount)),
    detail: { tool: "calculator", status: "ok", iteration: 1, arguments_sha256: "ab".repeat(32) },
    ...fields,
  };
}

describe.each(engines)("audit log on $name", (engine) => {
  let db: SqlDatabase;
  let store: AuditStore;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ db, dispose } = await engine.open());
    await applyMigrations(db);
    store = createSqlAuditStore(db);
  });
  afterAll(() => dispose());

  /** Runs `tamper`, expects verification to name `seq` as `kind`, then undoes it: the chain is shared by the tests. */
  async function expectNamed(tamper: string, undo: string, seq: number, kind: string): Promise<void> {
    await db.exec(tamper);
    try {
      expect((await verifyAuditLog(store, { pageSize: 2 })).problem).toMatchObject({ seq, kind });
    } finally {
      await db.exec(undo);
    }
    expect((await verifyAuditLog(store)).ok).toBe(true);
  }

  it("starts empty, at the genesis hash", async () => {
    expect(await store.auditHead()).toEqual({ seq: 0, hash: "0".repeat(64) });
    expect(await verifyAuditLog(store)).toEqual({ ok: true, rowsChecked: 0, headSeq: 0, problem: undefined });
  });

  it("appends in order after the head, linked, and reads the rows back exactly as hashed", async () => {
    const principal = uniqueId("order");
    const before = await store.auditHead();
    const batch = [entry(principal), entry(principal, { action: "run_ended", detail: { status: "completed", cost_usd: 0.1 + 0.2 } }), entry(principal)];
    const head = await store.appendAudit(batch);
    expect(head.seq).toBe((before?.seq ?? 0) + 3);
    expect(await store.auditHead()).toEqual(head);
    const rows = await store.readAuditChain(before?.seq ?? 0, head.seq, 10);
    expect(rows.map((row) => row.entryId)).toEqual(batch.map((e) => e.entryId));
    expect(rows[0]?.prevHash).toBe(before?.hash);
    expect(rows[2]?.hash).toBe(head.hash);
    expect(rows[1]).toMatchObject({ action: "run_ended", principal, runId: "run-7", detail: '{"cost_usd":0.30000000000000004,"status":"completed"}' });
    expect(rows[1]?.at).toEqual(batch[1]?.at);
    expect(typeof rows[0]?.seq).toBe("number");
    expect((await verifyAuditLog(store)).ok).toBe(true);
  });

  it("appends the entries of a retried batch once", async () => {
    const principal = uniqueId("retry");
    const first = [entry(principal), entry(principal)];
    const head = await store.appendAudit(first);
    const retried = await store.appendAudit([...first, entry(principal)]);
    expect(retried.seq).toBe(head.seq + 1);
    expect(await store.appendAudit(first)).toEqual(retried);
    expect(await store.listAuditEvents({ principal, limit: 10 })).toHaveLength(3);
  });

  it("keeps a principal with a NUL, a lone surrogate and an emoji verifiable", async () => {
    await store.appendAudit([entry("ops\0\uD800 🔐", { detail: { reason: "quote \" and \0 and \uDC00" } })]);
    const [row] = await store.listAuditEvents({ principal: "ops\uFFFD\uFFFD 🔐", limit: 1 });
    expect(row?.detail).toBe('{"reason":"quote \\" and \\u0000 and \\udc00"}');
    expect((await verifyAuditLog(store)).ok).toBe(true);
  });

  it("lists by principal, run and time, oldest first, a page at a time", async () => {
    const principal = uniqueId("list");
    const at = (ms: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, 0, ms));
    const listed = [
      entry(principal, { runId: "r1", at: at(1) }),
      entry(principal, { runId: "r2", at: at(2) }),
      entry(uniqueId("other"), { runId: "r1", at: at(3) }),
      entry(principal, { runId: "r1", at: at(4) }),
    ];
    await store.appendAudit(listed);
    const ids = (rows: { entryId: string }[]) => rows.map((row) => row.entryId);
    const [a, b, c, d] = listed.map((e) => e.entryId);
    expect(ids(await store.listAuditEvents({ principal, limit: 10 }))).toEqual([a, b, d]);
    expect(ids(await store.listAuditEvents({ principal, runId: "r1", limit: 10 }))).toEqual([a, d]);
    expect(ids(await store.listAuditEvents({ after: at(2), before: at(4), limit: 10 }))).toEqual([b, c]);
    const [firstPage] = await store.listAuditEvents({ principal, limit: 1 });
    expect(ids(await store.listAuditEvents({ principal, afterSeq: firstPage?.seq ?? 0, limit: 10 }))).toEqual([b, d]);
  });

  describe("verification of a chain changed in the database", () => {
    let seq: number;
    beforeAll(async () => {
      const principal = uniqueId("tamper");
      await store.appendAudit([entry(principal), entry(principal), entry(principal), entry(principal)]);
      seq = ((await store.auditHead())?.seq ?? 0) - 2;
    });

    it("names a row one field of which was changed", async () => {
      await expectNamed(
        `UPDATE audit_log SET principal = principal || '!' WHERE seq = ${seq}`,
        `UPDATE audit_log SET principal = left(principal, -1) WHERE seq = ${seq}`,
        seq,
        "hash_mismatch",
      );
      await expectNamed(
        `UPDATE audit_log SET at = at + interval '1 second' WHERE seq = ${seq}`,
        `UPDATE audit_log SET at = at - interval '1 second' WHERE seq = ${seq}`,
        seq,
        "hash_mismatch",
      );
    });

    it("names the row after a deleted one", async () => {
      await expectNamed(
        `CREATE TABLE deleted_row AS SELECT * FROM audit_log WHERE seq = ${seq}; DELETE FROM audit_log WHERE seq = ${seq}`,
        "INSERT INTO audit_log SELECT * FROM deleted_row; DROP TABLE deleted_row",
        seq + 1,
        "gap",
      );
    });

    it("names the first of two swapped rows", async () => {
      const swap = `UPDATE audit_log SET seq = 999999999 WHERE seq = ${seq}; UPDATE audit_log SET seq = ${seq} WHERE seq = ${seq + 1}; UPDATE audit_log SET seq = ${seq + 1} WHERE seq = 999999999`;
      await expectNamed(swap, swap, seq, "broken_link");
    });

    it("names the first deleted row at the end of the chain", async () => {
      await expectNamed(
        `CREATE TABLE deleted_rows AS SELECT * FROM audit_log WHERE seq > ${seq}; DELETE FROM audit_log WHERE seq > ${seq}`,
        "INSERT INTO audit_log SELECT * FROM deleted_rows; DROP TABLE deleted_rows",
        seq + 1,
        "truncated",
      );
    });
  });
});

describe("audit log on PostgreSQL, appended from two stores at once", () => {
  let database: TestPostgresDatabase;
  beforeAll(async () => {
    database = await createTestPostgresDatabase();
  });
  afterAll(() => database.drop());

  it("forms one valid chain of every batch, each batch's entries together and in order", async () => {
    const stores = await Promise.all([0, 1].map(() => openStore({ databaseUrl: database.url, dataDir: "unused", poolSize: 4 })));
    try {
      const batches = Array.from({ length: 40 }, (_, index) => Array.from({ length: 5 }, () => entry(`batch-${index}`)));
      await Promise.all(batches.map((batch, index) => stores[index % 2]?.appendAudit(batch)));
      const [store] = stores;
      if (store === undefined) {
        throw new Error("no store");
      }
      expect(await verifyAuditLog(store, { pageSize: 64 })).toEqual({ ok: true, rowsChecked: 200, headSeq: 200, problem: undefined });
      const chain = await store.readAuditChain(0, 200, 200);
      for (let start = 0; start < chain.length; start += 5) {
        const batch = batches.find((candidate) => candidate[0]?.entryId === chain[start]?.entryId);
        expect(chain.slice(start, start + 5).map((row) => row.entryId)).toEqual(batch?.map((e) => e.entryId));
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
