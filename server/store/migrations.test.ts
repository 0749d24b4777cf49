import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyMigrations,
  createPgliteDatabase,
  createSqlRunStore,
  createPostgresDatabase,
  migrations,
  openStore,
  type SqlDatabase,
} from "./index.js";
import { completedRun, uniqueId } from "./testing/run-fixtures.js";
import { createTestPostgresDatabase, type TestPostgresDatabase } from "./testing/test-postgres.js";

const databases: TestPostgresDatabase[] = [];
afterAll(() => Promise.all(databases.splice(0).map((database) => database.drop())));

async function freshPostgres(): Promise<TestPostgresDatabase> {
  const database = await createTestPostgresDatabase();
  databases.push(database);
  return database;
}

const engines: { name: string; open(): Promise<SqlDatabase> }[] = [
  { name: "PGlite", open: () => createPgliteDatabase({ dataDir: "memory://" }) },
  { name: "PostgreSQL", open: async () => createPostgresDatabase({ url: (await freshPostgres()).url }) },
];

describe("migration list", () => {
  it("numbers its versions 1, 2, … in order", () => {
    expect(migrations.map((step) => step.version)).toEqual(migrations.map((_, index) => index + 1));
  });
});

describe.each(engines)("migrations on $name", (engine) => {
  let db: SqlDatabase;
  beforeAll(async () => {
    db = await engine.open();
  });
  afterAll(() => db.close());

  it("applies every version once, then finds nothing to do", async () => {
    const all = migrations.map((step) => step.version);
    expect(await applyMigrations(db)).toEqual(all);
    expect(await applyMigrations(db)).toEqual([]);
    const recorded = await db.query<{ version: number; name: string }>("SELECT version, name FROM schema_migrations ORDER BY version");
    expect(recorded).toEqual(migrations.map(({ version, name }) => ({ version, name })));
  });

  it("refuses a list whose versions are out of order", async () => {
    await expect(applyMigrations(db, [{ version: 2, name: "skips one", sql: "SELECT 1" }])).rejects.toThrow(
      'migration "skips one" has version 2; expected 1',
    );
  });

  it("names a failing migration and keeps nothing of it", async () => {
    await applyMigrations(db);
    const broken = { version: migrations.length + 1, name: "broken", sql: "CREATE TABLE leftover (a integer); SELECT no_such_function()" };
    await expect(applyMigrations(db, [...migrations, broken])).rejects.toThrow(
      new RegExp(`^migration ${migrations.length + 1} "broken" failed: function no_such_function\\(\\) does not exist$`),
    );
    expect(await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'leftover'")).toEqual([]);
    expect(await db.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).toEqual(
      migrations.map(({ version }) => ({ version })),
    );
  });

  it("creates the indexes of every migration", async () => {
    await applyMigrations(db);
    const rows = await db.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename IN ('runs', 'run_events', 'idempotency_keys', 'replicas') ORDER BY indexname",
    );
    expect(rows.map((row) => row.indexname)).toEqual([
      "idempotency_keys_claimed_idx",
      "idempotency_keys_pkey",
      "replicas_pkey",
      "run_events_pkey",
      "runs_ended_idx",
      "runs_experiment_idx",
      "runs_pkey",
      "runs_principal_started_idx",
      "runs_running_replica_idx",
      "runs_started_idx",
      "runs_status_started_idx",
      "runs_thread_started_idx",
    ]);
  });

  it("refuses a status outside the four", async () => {
    await applyMigrations(db);
    const store = createSqlRunStore(db);
    await expect(store.write({ runs: [completedRun({ runId: uniqueId("bad"), status: "paused" as "running" })], events: [] })).rejects.toThrow(
      /runs_status_check/,
    );
  });

  it("keeps one holder per principal and key, while runs keep the key they ran with", async () => {
    await applyMigrations(db);
    const claim = (runId: string, principal: string, key: string) =>
      db.query("INSERT INTO idempotency_keys (principal, idempotency_key, request_digest, run_id, claimed_at) VALUES ($1, $2, 'd', $3, now())", [principal, key, runId]);
    const key = uniqueId("key");
    await claim(uniqueId("first"), "alice", key);
    await expect(claim(uniqueId("second"), "alice", key)).rejects.toThrow(/idempotency_keys_pkey/);
    // Another principal may use the same key.
    await claim(uniqueId("third"), "bob", key);
    // Runs of one key (a failed attempt, then its retry) are both kept.
    const store = createSqlRunStore(db);
    await store.write({ runs: [completedRun({ runId: uniqueId("failed"), idempotencyKey: key }), completedRun({ runId: uniqueId("retry"), idempotencyKey: key })], events: [] });
  });
});

describe("migrations from several replicas at once", () => {
  it("succeed in every one of 4 concurrent openStore calls on a fresh PostgreSQL database, recording each version once", async () => {
    const database = await freshPostgres();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ databaseUrl: database.url, dataDir: "unused" })));
    try {
      const recorded = await database.query<{ version: number; count: number }>(
        "SELECT version, count(*)::integer AS count FROM schema_migrations GROUP BY version ORDER BY version",
      );
      expect(recorded).toEqual(migrations.map(({ version }) => ({ version, count: 1 })));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
