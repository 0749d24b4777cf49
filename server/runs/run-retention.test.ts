import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTemplate } from "../../test/support/store-template.js";
import { openStore, type RunStore } from "../store/index.js";
import { completedRun, runningRun, uniqueId } from "../store/testing/run-fixtures.js";
import { startRunRetention } from "./run-retention.js";

const day = 86_400_000;
const now = Date.parse("2030-06-01T00:00:00Z");
const logger = pino({ level: "silent" });

let store: RunStore;
beforeAll(async () => {
  store = await openStore({ dataDir: "memory://", pgliteTemplate: storeTemplate() });
});
afterAll(() => store.close());

/** A run with a key, claimed and ended `ageDays` before `now`. */
async function keyedRun(ageDays: number, status: "completed" | "running" = "completed") {
  const at = new Date(now - ageDays * day);
  const runId = uniqueId(`run-${ageDays}d`);
  const key = uniqueId("key");
  const claim = await store.claimIdempotencyKey({
    run: runningRun({ runId, principal: "alice", idempotencyKey: key, startedAt: at }),
    expiredBefore: new Date(0),
  });
  expect(claim.outcome).toBe("claimed");
  if (status === "completed") {
    await store.write({ runs: [completedRun({ runId, principal: "alice", idempotencyKey: key, startedAt: at, endedAt: at })], events: [] });
  }
  return { runId, key, at };
}

/** Whether the key still holds: a repeat of its request finds its run instead of claiming it. */
async function keyHolds(run: { runId: string; key: string }): Promise<boolean> {
  const probe = await store.claimIdempotencyKey({
    run: runningRun({ runId: uniqueId("probe"), principal: "alice", idempotencyKey: run.key, startedAt: new Date(now) }),
    expiredBefore: new Date(0),
  });
  return probe.outcome !== "claimed";
}

describe("run retention", () => {
  it("deletes runs that ended before the retention period and keys past their time, in batches, keeping the rest", async () => {
    const old = await Promise.all([40, 41, 42].map((age) => keyedRun(age)));
    const recent = await keyedRun(10);
    const fresh = await keyedRun(0.5);
    const stillRunning = await keyedRun(60, "running");
    const retention = startRunRetention({ store, logger, retentionDays: 30, idempotencyTtlMs: day, batchSize: 2, now: () => now, intervalMs: 3_600_000 });
    await retention.sweep();
    await retention.stop();

    for (const run of old) {
      expect(await store.getRun(run.runId)).toBeUndefined();
    }
    expect((await store.getRun(recent.runId))?.status).toBe("completed");
    // A run that never ended is never deleted by age.
    expect((await store.getRun(stillRunning.runId))?.status).toBe("running");
    expect(await keyHolds(fresh)).toBe(true);
    expect(await keyHolds(recent)).toBe(false);
  });

  it("still forgets expired keys when runs are kept forever", async () => {
    const old = await keyedRun(100);
    const retention = startRunRetention({ store, logger, retentionDays: 0, idempotencyTtlMs: day, now: () => now });
    await retention.sweep();
    await retention.stop();
    expect((await store.getRun(old.runId))?.status).toBe("completed");
    expect(await keyHolds(old)).toBe(false);
  });
});
