import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, verifyAuditLog, type ServiceStore } from "../store/index.js";
import { createTestPostgresDatabase, type TestPostgresDatabase } from "../store/testing/test-postgres.js";
import { createAuditWriter } from "./audit-writer.js";

describe("two audit writers on one PostgreSQL, as two replicas", () => {
  let database: TestPostgresDatabase;
  let replicas: ServiceStore[];
  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    replicas = await Promise.all([0, 1].map(() => openStore({ databaseUrl: database.url, dataDir: "unused" })));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((store) => store.close()));
    await database.drop();
  });

  it("keep one valid chain holding every entry of both, each replica's in its order", async () => {
    const logger = pino({ level: "silent" });
    // Small batches without delay, so that the replicas' transactions queue on the chain's head.
    const writers = replicas.map((store) => createAuditWriter({ store, logger, maxBatch: 7, flushDelayMs: 0 }));
    const perReplica = 400;
    await Promise.all(
      writers.map(async (writer, replica) => {
        for (let index = 0; index < perReplica; index += 1) {
          writer.append({ action: "model_call", principal: `replica-${replica}`, runId: "", traceId: "t", at: new Date(), detail: { index } });
          if (index % 25 === 24) {
            // Lets the other replica's appends go in between.
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        await writer.flush();
      }),
    );
    const store = replicas[0] as ServiceStore;
    expect(await verifyAuditLog(store, { pageSize: 100 })).toEqual({ ok: true, rowsChecked: 2 * perReplica, headSeq: 2 * perReplica, problem: undefined });
    for (const replica of [0, 1]) {
      const rows = await store.listAuditEvents({ principal: `replica-${replica}`, limit: 1_000 });
      expect(rows.map((row) => (JSON.parse(row.detail) as { index: number }).index)).toEqual(Array.from({ length: perReplica }, (_, index) => index));
    }
    // The replicas' batches did interleave: not all of one replica's rows, then the other's.
    const chain = await store.readAuditChain(0, 2 * perReplica, 2 * perReplica);
    const switches = chain.filter((row, index) => index > 0 && row.principal !== chain[index - 1]?.principal).length;
    expect(switches).toBeGreaterThan(1);
    expect(await Promise.all(writers.map((writer) => writer.close(5_000)))).toEqual([0, 0]);
  });
});
