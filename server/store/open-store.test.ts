import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy } from "../../test/support/tcp-proxy.js";
import { storeTemplate } from "../../test/support/store-template.js";
import { createPgliteDatabase, isDataDirInUseError, openStore } from "./index.js";
import { createTestPostgresDatabase, testPostgresAddress, type TestPostgresDatabase } from "./testing/test-postgres.js";

const password = "s3cret-Passw0rd";

describe("openStore", () => {
  let database: TestPostgresDatabase;
  beforeAll(async () => {
    database = await createTestPostgresDatabase();
  });
  afterAll(() => database.drop());

  it("opens PostgreSQL when a database URL is given", async () => {
    const store = await openStore({ databaseUrl: database.url, dataDir: "unused" });
    expect(store.kind).toBe("postgres");
    await store.close();
  });

  it("starts a new embedded store from a template, with the schema in place, and ignores it for a directory that holds a database", async () => {
    const template = storeTemplate();
    const memory = await openStore({ dataDir: "memory://", pgliteTemplate: template });
    await memory.write({ runs: [], events: [{ runId: "r", seq: 1, lastSeq: 1, kind: "textDelta", payload: new Uint8Array([1]), at: new Date(0) }] });
    expect(await memory.listEvents("r", 0, 10)).toHaveLength(1);
    await memory.close();
    const dir = await mkdtemp(join(tmpdir(), "store-template-"));
    try {
      const first = await openStore({ dataDir: dir, pgliteTemplate: template });
      await first.write({ runs: [], events: [{ runId: "kept", seq: 1, lastSeq: 1, kind: "textDelta", payload: new Uint8Array([2]), at: new Date(0) }] });
      await first.close();
      const again = await openStore({ dataDir: dir, pgliteTemplate: template });
      expect(await again.listEvents("kept", 0, 10)).toHaveLength(1);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("opens PGlite when the database URL is empty", async () => {
    const store = await openStore({ databaseUrl: "", dataDir: "memory://" });
    expect(store.kind).toBe("pglite");
    await store.close();
  });

  it("rejects within the connect timeout when nothing listens, naming host and port but never the password", async () => {
    const port = await closedPort();
    const connectTimeoutMs = 3_000;
    const startedAt = performance.now();
    const failure = await openStore({
      databaseUrl: `postgres://postgres:${password}@127.0.0.1:${port}/agent`,
      dataDir: "unused",
      connectTimeoutMs,
    }).catch((err: unknown) => err);

    expect(performance.now() - startedAt).toBeLessThan(connectTimeoutMs);
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toContain(`cannot open the run store on PostgreSQL at 127.0.0.1:${port}/agent`);
    expect(message).toContain("ECONNREFUSED");
    expect(message).not.toContain(password);
  });

  it("rejects after the connect timeout when the server never answers", async () => {
    const proxy = await startTcpProxy(testPostgresAddress());
    proxy.stall();
    try {
      const failure = openStore({
        databaseUrl: `postgres://postgres:${password}@127.0.0.1:${proxy.port}/${database.name}`,
        dataDir: "unused",
        connectTimeoutMs: 300,
      });
      await expect(failure).rejects.toThrow(`cannot open the run store on PostgreSQL at 127.0.0.1:${proxy.port}/${database.name}: `);
      await expect(failure).rejects.toThrow(/timeout/);
      await expect(failure).rejects.not.toThrow(password);
    } finally {
      await proxy.close();
    }
  });

  it("closes what it opened when the schema cannot be brought up to date", async () => {
    const dir = await mkdtemp(join(tmpdir(), "open-store-"));
    try {
      // A table in the way of migration 1.
      const db = await createPgliteDatabase({ dataDir: dir });
      await db.exec("CREATE TABLE runs (unrelated integer)");
      await db.close();

      const expected = `cannot open the run store on PGlite at ${dir}: migration 1 "runs and run events" failed: relation "runs" already exists`;
      await expect(openStore({ dataDir: dir })).rejects.toThrow(expected);
      // Not "in use": the failed open released the directory.
      const again = await openStore({ dataDir: dir }).catch((err: unknown) => err);
      expect(isDataDirInUseError(again)).toBe(false);
      expect((again as Error).message).toBe(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A loopback port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
