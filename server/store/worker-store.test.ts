import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { storeTemplate } from "../../test/support/store-template.js";
import { isDataDirInUseError, openStoreInWorker, verifyAuditLog } from "./index.js";
import { runEvents, runningRun } from "./testing/run-fixtures.js";

describe("openStoreInWorker", () => {
  it("answers every RunStore call from its thread, rows intact, and keeps a directory's runs across a reopen", async () => {
    const dir = await mkdtemp(join(tmpdir(), "worker-store-"));
    try {
      const store = await openStoreInWorker({ dataDir: dir, pgliteTemplate: storeTemplate() });
      expect(store.kind).toBe("pglite");
      const run = { ...runningRun({ runId: "w1" }), result: new Uint8Array([1, 2, 3]) };
      await store.write({ runs: [run], events: runEvents("w1", 3) });
      expect(await store.getRun("w1")).toEqual(run);
      expect(await store.listEvents("w1", 1, 10)).toEqual(runEvents("w1", 3).slice(1));
      expect((await store.listRuns({ limit: 10 })).map((row) => row.runId)).toEqual(["w1"]);
      // One directory, one store: a second open is refused with the same error as in-process.
      const second = await openStoreInWorker({ dataDir: dir }).catch((err: unknown) => err);
      expect(isDataDirInUseError(second), String(second)).toBe(true);
      await store.close();
      await expect(store.getRun("w1")).rejects.toThrow();

      const reopened = await openStoreInWorker({ dataDir: dir });
      expect(await reopened.getRun("w1")).toEqual(run);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("answers the audit log's calls from its thread, hashing there, into a chain that verifies", async () => {
    const store = await openStoreInWorker({ dataDir: "memory://", pgliteTemplate: storeTemplate() });
    try {
      const entry = { action: "run_started", principal: "svc-orders", runId: "w4", traceId: "t", detail: { model: "sim-small" } } as const;
      const head = await store.appendAudit([
        { ...entry, entryId: "e1", at: new Date(1) },
        { ...entry, entryId: "e2", at: new Date(2) },
      ]);
      expect(head.seq).toBe(2);
      expect(await store.auditHead()).toEqual(head);
      expect((await store.readAuditChain(0, 2, 10)).map((row) => row.at)).toEqual([new Date(1), new Date(2)]);
      expect((await store.listAuditEvents({ runId: "w4", limit: 10 })).map((row) => row.entryId)).toEqual(["e1", "e2"]);
      expect(await verifyAuditLog(store)).toMatchObject({ ok: true, rowsChecked: 2 });
    } finally {
      await store.close();
    }
  });

  it("rejects a failed call with the thread's error and keeps serving", async () => {
    const store = await openStoreInWorker({ dataDir: "memory://", pgliteTemplate: storeTemplate() });
    try {
      const bad = { ...runningRun({ runId: "w2" }), status: "nonsense" as "running" };
      await expect(store.write({ runs: [bad], events: [] })).rejects.toThrow();
      await store.write({ runs: [runningRun({ runId: "w3" })], events: [] });
      expect((await store.getRun("w3"))?.runId).toBe("w3");
    } finally {
      await store.close();
    }
  });
});
