import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { storeTemplate } from "../../test/support/store-template.js";
import { isDataDirInUseError, openStoreInWorker } from "./index.js";
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
