import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createCapturedLogger, type CapturedLogger } from "../../test/support/captured-logger.js";
import { startTcpProxy, type TcpProxy } from "../../test/support/tcp-proxy.js";
import { createPgliteDatabase, DATA_DIR_LOCK_FILE, DataDirInUseError, isDataDirInUseError, openStore, type RunStore } from "./index.js";
import { completedRun, runEvents, runningRun, uniqueId } from "./testing/run-fixtures.js";
import { createTestPostgresDatabase, testPostgresAddress, type TestPostgresDatabase } from "./testing/test-postgres.js";
import { storeTemplate } from "../../test/support/store-template.js";

describe("PGlite data directory lock", () => {
  let root: string;
  beforeEach(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), "data-dir-lock-")));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));
  // Locking, not initdb, is under test here: each store starts from the test run's template.

  it("refuses a directory another process holds, naming it, and opens it once that process has closed it", async () => {
    const holder = await holdInChildProcess(root);
    try {
      const refusal = await createPgliteDatabase({ dataDir: root, template: storeTemplate() }).catch((err: unknown) => err);
      expect(refusal).toBeInstanceOf(DataDirInUseError);
      expect(isDataDirInUseError(refusal)).toBe(true);
      expect((refusal as Error).message).toContain(`the data directory ${root} is in use by another process (pid ${holder.pid})`);
    } finally {
      holder.stdin?.end();
      await once(holder, "exit");
    }
    const db = await createPgliteDatabase({ dataDir: root, template: storeTemplate() });
    await db.close();
  });

  it("refuses a second store of one directory in this process, however it is reached, until the first is closed", async () => {
    const link = `${root}-link`;
    await symlink(root, link);
    const first = await createPgliteDatabase({ dataDir: root, template: storeTemplate() });
    const inUse = `the data directory ${root} is already open in this process`;
    await expect(createPgliteDatabase({ dataDir: root, template: storeTemplate() })).rejects.toThrow(inUse);
    await expect(createPgliteDatabase({ dataDir: link, template: storeTemplate() })).rejects.toThrow(inUse);
    await rm(link);
    await first.close();
    const second = await createPgliteDatabase({ dataDir: root, template: storeTemplate() });
    await second.close();
  });

  it("holds a lock file with its pid while open and removes it on close", async () => {
    const lockPath = join(root, DATA_DIR_LOCK_FILE);
    const db = await createPgliteDatabase({ dataDir: root, template: storeTemplate() });
    expect((await readFile(lockPath, "utf8")).trim()).toBe(String(process.pid));
    await db.close();
    expect(existsSync(lockPath)).toBe(false);
  });

  it.each([
    ["of a process that is gone", async () => `${await deadPid()}\n`],
    ["with this process's pid, left by an earlier process that had it", async () => `${process.pid}\n`],
    ["with no pid in it, left by a process that died creating it", async () => ""],
  ])("takes over a stale lock %s", async (_, content) => {
    await writeFile(join(root, DATA_DIR_LOCK_FILE), await content());
    const db = await createPgliteDatabase({ dataDir: root, template: storeTemplate() });
    expect((await readFile(join(root, DATA_DIR_LOCK_FILE), "utf8")).trim()).toBe(String(process.pid));
    await db.close();
  });

  it("creates a missing directory, parents included", async () => {
    const dataDir = join(root, "a", "b", "data");
    const db = await createPgliteDatabase({ dataDir });
    expect(await db.query<{ answer: number }>("SELECT $1::integer + 1 AS answer", [41])).toEqual([{ answer: 42 }]);
    await db.close();
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
  });
});

describe("PostgreSQL pool when the network fails", () => {
  let database: TestPostgresDatabase;
  let proxy: TcpProxy;
  let logs: CapturedLogger;
  let store: RunStore;
  beforeAll(async () => {
    database = await createTestPostgresDatabase();
  });
  afterAll(() => database.drop());
  beforeEach(async () => {
    proxy = await startTcpProxy(testPostgresAddress());
    logs = createCapturedLogger();
    store = await openStore({
      databaseUrl: database.viaPort(proxy.port),
      dataDir: "unused",
      connectTimeoutMs: 2_000,
      statementTimeoutMs: 1_000,
      logger: logs.logger,
    });
  });
  afterEach(async () => {
    await store.close();
    await proxy.close();
  });

  it("logs and drops connections that broke while idle, rejects writes while cut, and writes again once restored", async () => {
    const runId = uniqueId("cut");
    await store.write({ runs: [runningRun({ runId })], events: runEvents(runId, 2) });

    proxy.cut();
    // The idle connection's failure reaches the pool's 'error' handler, not an uncaught exception.
    await vi.waitFor(() => expect(logs.at("warn").map((line) => line["msg"])).toContain("an idle PostgreSQL connection failed; the pool dropped it"));
    await expect(store.write({ runs: [completedRun({ runId })], events: runEvents(runId, 2, 3) })).rejects.toThrow();

    proxy.restore();
    // Nothing of the rejected batch was written.
    expect((await store.getRun(runId))?.status).toBe("running");
    expect(await store.listEvents(runId, 0, 10)).toEqual(runEvents(runId, 2));
    await store.write({ runs: [completedRun({ runId })], events: runEvents(runId, 2, 3) });
    expect(await store.getRun(runId)).toEqual(completedRun({ runId }));
    expect(await store.listEvents(runId, 0, 10)).toEqual(runEvents(runId, 4));
  });

  it("gives up on a statement the network never answers, and recovers once it answers again", async () => {
    const runId = uniqueId("stall");
    await store.write({ runs: [runningRun({ runId })], events: [] });

    proxy.stall();
    await expect(store.write({ runs: [completedRun({ runId })], events: [] })).rejects.toThrow("Query read timeout");

    proxy.restore();
    await store.write({ runs: [completedRun({ runId })], events: runEvents(runId, 1) });
    expect(await store.getRun(runId)).toEqual(completedRun({ runId }));
  });
});

/** Starts a process that opens `dataDir` and resolves once it holds it; ending its stdin closes it. */
async function holdInChildProcess(dataDir: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL("./testing/hold-data-dir.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, dataDir], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, "line")) as [string];
  if (line !== "open") {
    throw new Error(`the holding process did not open ${dataDir}: ${line}`);
  }
  return child;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  if (child.pid === undefined) {
    throw new Error("the short-lived process did not start");
  }
  return child.pid;
}
