import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type RunRow, type RunStore } from "./index.js";
import { completedRun, runEvents, runningRun, uniqueId } from "./testing/run-fixtures.js";
import { createTestPostgresDatabase } from "./testing/test-postgres.js";
import { storeTemplate } from "../../test/support/store-template.js";

/** Each engine the store runs on: opened once per file, isolated from every other test file. */
const engines: { name: string; open(): Promise<{ store: RunStore; dispose(): Promise<void> }> }[] = [
  {
    name: "PGlite in memory",
    async open() {
      const store = await openStore({ dataDir: "memory://", pgliteTemplate: storeTemplate() });
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: "PGlite in a directory",
    async open() {
      const dir = await mkdtemp(join(tmpdir(), "run-store-"));
      const store = await openStore({ dataDir: join(dir, "data") });
      return { store, dispose: async () => (await store.close(), await rm(dir, { recursive: true, force: true })) };
    },
  },
  {
    name: "PostgreSQL",
    async open() {
      const database = await createTestPostgresDatabase();
      const store = await openStore({ databaseUrl: database.url, dataDir: "unused" });
      return { store, dispose: async () => (await store.close(), await database.drop()) };
    },
  },
];

describe.each(engines)("run store on $name", (engine) => {
  let store: RunStore;
  let dispose: () => Promise<void>;
  beforeAll(async () => ({ store, dispose } = await engine.open()));
  afterAll(() => dispose());

  describe("runs", () => {
    it("round-trips every field of a completed and of a running run", async () => {
      const completed = completedRun({ runId: uniqueId("full"), idempotencyKey: uniqueId("key") });
      const running = runningRun({ runId: uniqueId("running") });
      await store.write({ runs: [completed, running], events: [] });

      const [gotCompleted, gotRunning] = [await store.getRun(completed.runId), await store.getRun(running.runId)];
      expect(gotCompleted).toEqual(completed);
      expect(gotRunning).toEqual(running);
      expect(gotRunning?.endedAt).toBeUndefined();
      expect(gotRunning?.result).toBeUndefined();
      // A bigint column comes back as a number, bytes as a plain Uint8Array, times as Dates.
      expect(typeof gotCompleted?.inputTokens).toBe("number");
      expect(gotCompleted?.result?.constructor).toBe(Uint8Array);
      expect(gotCompleted?.startedAt).toBeInstanceOf(Date);
    });

    it("returns undefined for a run it does not have", async () => {
      expect(await store.getRun(uniqueId("missing"))).toBeUndefined();
    });

    it("never changes a run in a final state", async () => {
      const runId = uniqueId("final");
      const done = completedRun({ runId });
      await store.write({ runs: [done], events: [] });
      await store.write({ runs: [runningRun({ runId, input: "a late start" })], events: [] });
      await store.write({ runs: [completedRun({ runId, status: "failed", errorCode: "INTERNAL" })], events: [] });
      expect(await store.getRun(runId)).toEqual(done);
    });

    it("completes a running run with every field of the final write", async () => {
      const runId = uniqueId("complete");
      await store.write({ runs: [runningRun({ runId })], events: [] });
      const failed = completedRun({ runId, status: "failed", errorCode: "MODEL_UNAVAILABLE", errorMessage: "gone", result: undefined });
      await store.write({ runs: [failed], events: [] });
      expect(await store.getRun(runId)).toEqual(failed);
    });

    it("updates a running run from a second running write", async () => {
      const runId = uniqueId("rerun");
      await store.write({ runs: [runningRun({ runId })], events: [] });
      const again = runningRun({ runId, model: "model-c", iterations: 2 });
      await store.write({ runs: [again], events: [] });
      expect(await store.getRun(runId)).toEqual(again);
    });

    it("creates a run complete from a final write with no running row before it", async () => {
      const canceled = completedRun({ runId: uniqueId("late"), status: "canceled", stopReason: "canceled" });
      await store.write({ runs: [canceled], events: [] });
      expect(await store.getRun(canceled.runId)).toEqual(canceled);
    });

    it.each([
      ["running then completed", ["running", "completed"]],
      ["completed then running", ["completed", "running"]],
    ] as const)("applies both writes of one run in one batch in order (%s)", async (_, order) => {
      const runId = uniqueId("both");
      const writes = order.map((status) => (status === "running" ? runningRun({ runId }) : completedRun({ runId })));
      await store.write({ runs: writes, events: [] });
      expect(await store.getRun(runId)).toEqual(completedRun({ runId }));
    });
  });

  describe("idempotency keys", () => {
    const claimOf = (runId: string, key: string, digest: string, principal = "svc-keys") => ({
      run: runningRun({ runId, principal, idempotencyKey: key, requestDigest: digest, startedAt: new Date() }),
      expiredBefore: new Date(Date.now() - 60_000),
    });

    it("claims a key not seen before and writes the run with it, in one go", async () => {
      const key = uniqueId("fresh");
      const runId = uniqueId("claimer");
      expect(await store.claimIdempotencyKey(claimOf(runId, key, "digest-a"))).toEqual({ outcome: "claimed" });
      expect(await store.getRun(runId)).toMatchObject({ runId, status: "running", idempotencyKey: key, requestDigest: "digest-a" });
    });

    it("answers with the run holding the key: the same request is existing, another a mismatch, and neither writes a run", async () => {
      const key = uniqueId("held");
      const holder = uniqueId("holder");
      await store.claimIdempotencyKey(claimOf(holder, key, "digest-a"));
      const again = uniqueId("again");
      expect(await store.claimIdempotencyKey(claimOf(again, key, "digest-a"))).toMatchObject({ outcome: "existing", run: { runId: holder } });
      const other = uniqueId("other");
      expect(await store.claimIdempotencyKey(claimOf(other, key, "digest-b"))).toMatchObject({ outcome: "mismatch", run: { runId: holder } });
      expect([await store.getRun(again), await store.getRun(other)]).toEqual([undefined, undefined]);
      // The same key of another principal is another key.
      const elsewhere = uniqueId("elsewhere");
      expect(await store.claimIdempotencyKey(claimOf(elsewhere, key, "digest-b", "svc-other"))).toEqual({ outcome: "claimed" });
    });

    it("takes over a key whose run failed, and one claimed before the claim's expiry", async () => {
      const key = uniqueId("freed");
      const failed = uniqueId("failed");
      await store.claimIdempotencyKey(claimOf(failed, key, "digest-a"));
      await store.write({ runs: [completedRun({ runId: failed, principal: "svc-keys", status: "failed", errorCode: "MODEL_UNAVAILABLE", result: undefined })], events: [] });
      const retry = uniqueId("retry");
      expect(await store.claimIdempotencyKey(claimOf(retry, key, "digest-a"))).toEqual({ outcome: "claimed" });
      expect((await store.claimIdempotencyKey(claimOf(uniqueId("late"), key, "digest-a"))).outcome).toBe("existing");

      const stale = uniqueId("stale");
      const old = claimOf(uniqueId("old"), stale, "digest-a");
      await store.claimIdempotencyKey({ ...old, run: { ...old.run, startedAt: new Date(Date.now() - 120_000) } });
      const fresh = uniqueId("fresh-holder");
      expect(await store.claimIdempotencyKey(claimOf(fresh, stale, "digest-b"))).toEqual({ outcome: "claimed" });
      expect(await store.getRun(fresh)).toMatchObject({ runId: fresh, status: "running" });
    });

    it("gives a key claimed by many at once to exactly one of them", async () => {
      const key = uniqueId("contended");
      const runIds = Array.from({ length: 8 }, (_, index) => uniqueId(`contender-${index}`));
      const outcomes = await Promise.all(runIds.map((runId) => store.claimIdempotencyKey(claimOf(runId, key, "digest-a"))));
      const winners = runIds.filter((_, index) => outcomes[index]?.outcome === "claimed");
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        expect(outcome.outcome === "claimed" || (outcome.outcome === "existing" && outcome.run.runId === winners[0])).toBe(true);
      }
      const written = await Promise.all(runIds.map((runId) => store.getRun(runId)));
      expect(written.filter((run) => run !== undefined).map((run) => run?.runId)).toEqual(winners);
    });
  });

  describe("batches", () => {
    it("changes nothing when a batch is retried, even after a later write", async () => {
      const runId = uniqueId("retry");
      const first = { runs: [runningRun({ runId })], events: runEvents(runId, 3) };
      await store.write(first);
      await store.write({ runs: [completedRun({ runId })], events: runEvents(runId, 2, 4) });
      await store.write(first);
      expect(await store.getRun(runId)).toEqual(completedRun({ runId }));
      expect(await store.listEvents(runId, 0, 100)).toEqual(runEvents(runId, 5));
    });

    it("accepts an empty batch", async () => {
      await expect(store.write({ runs: [], events: [] })).resolves.toBeUndefined();
    });

    it("stores a thousand events of one batch, given in any order and with duplicates, before their run", async () => {
      const runId = uniqueId("events");
      const events = runEvents(runId, 1_000);
      const shuffled = [...events.slice(500), ...events.slice(0, 500).reverse(), ...events.slice(9, 10), ...events.slice(999)];
      await store.write({ runs: [], events: shuffled });
      expect(await store.getRun(runId)).toBeUndefined();
      expect(await store.listEvents(runId, 0, 2_000)).toEqual(events);
    });
  });

  describe("events", () => {
    const runId = uniqueId("paged");
    beforeAll(() => store.write({ runs: [runningRun({ runId })], events: runEvents(runId, 20) }));

    it.each([
      { afterSeq: 0, limit: 100, seqs: range(1, 20) },
      { afterSeq: 10, limit: 5, seqs: range(11, 15) },
      { afterSeq: 18, limit: 5, seqs: [19, 20] },
      { afterSeq: 20, limit: 5, seqs: [] },
    ])("lists events after $afterSeq, at most $limit, in order", async ({ afterSeq, limit, seqs }) => {
      const events = await store.listEvents(runId, afterSeq, limit);
      expect(events.map((event) => event.seq)).toEqual(seqs);
      expect(events).toEqual(runEvents(runId, 20).filter((event) => seqs.includes(event.seq)));
    });

    it("returns a row of several events that straddles afterSeq, and the rows after it", async () => {
      const packed = uniqueId("packed");
      const [started] = runEvents(packed, 1);
      const deltas = { runId: packed, seq: 2, lastSeq: 9, kind: "textDelta", payload: new Uint8Array([1, 2, 3]), at: new Date(0) };
      const last = { runId: packed, seq: 10, lastSeq: 10, kind: "runCompleted", payload: new Uint8Array([4]), at: new Date(0) };
      await store.write({ runs: [], events: [...(started === undefined ? [] : [started]), deltas, last] });
      expect((await store.listEvents(packed, 5, 10)).map((row) => [row.seq, row.lastSeq])).toEqual([[2, 9], [10, 10]]);
      expect((await store.listEvents(packed, 9, 10)).map((row) => [row.seq, row.lastSeq])).toEqual([[10, 10]]);
      expect(await store.listEvents(packed, 1, 1)).toEqual([deltas]);
    });
  });

  describe("listing runs", () => {
    const principal = uniqueId("principal");
    const at = (minute: number) => new Date(Date.UTC(2031, 5, 1, 12, minute));
    const runs: RunRow[] = [
      completedRun({ runId: `${principal}-a`, principal, startedAt: at(1) }),
      runningRun({ runId: `${principal}-b`, principal, startedAt: at(2) }),
      completedRun({ runId: `${principal}-c`, principal, status: "failed", startedAt: at(3) }),
      completedRun({ runId: `${principal}-d`, principal, startedAt: at(4) }),
      completedRun({ runId: `${principal}-other`, principal: `${principal}-other`, startedAt: at(2) }),
    ];
    const ids = (rows: RunRow[]) => rows.map((row) => row.runId.slice(principal.length + 1));
    beforeAll(() => store.write({ runs, events: [] }));

    it.each([
      { filter: {}, expected: ["d", "c", "b", "a"] },
      { filter: { status: "completed" as const }, expected: ["d", "a"] },
      { filter: { status: "running" as const }, expected: ["b"] },
      { filter: { startedAfter: at(2) }, expected: ["d", "c", "b"] },
      { filter: { startedBefore: at(3) }, expected: ["b", "a"] },
      { filter: { startedAfter: at(2), startedBefore: at(4), status: "failed" as const }, expected: ["c"] },
    ])("filters by principal and $filter, newest first", async ({ filter, expected }) => {
      expect(ids(await store.listRuns({ principal, limit: 10, ...filter }))).toEqual(expected);
    });

    it("returns at most limit runs", async () => {
      expect(ids(await store.listRuns({ principal, limit: 2 }))).toEqual(["d", "c"]);
    });

    it("pages by (startedAt, runId) with no run twice and none missing, across equal start times", async () => {
      const pager = uniqueId("pager");
      const paged = Array.from({ length: 23 }, (_, index) =>
        completedRun({ runId: `${pager}-${String(index).padStart(2, "0")}`, principal: pager, startedAt: at(10 + Math.floor(index / 5)) }),
      );
      await store.write({ runs: paged, events: [] });
      const expected = [...paged]
        .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.runId < b.runId ? 1 : -1))
        .map((run) => run.runId);

      const seen: string[] = [];
      let olderThan: { startedAt: Date; runId: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await store.listRuns({ principal: pager, limit: 4, ...(olderThan === undefined ? {} : { olderThan }) });
        seen.push(...rows.map((row) => row.runId));
        const last = rows.at(-1);
        if (last === undefined) {
          break;
        }
        olderThan = { startedAt: last.startedAt, runId: last.runId };
      }
      expect(seen).toEqual(expected);
    });
  });

  describe("filtering runs by prompt, model and input", () => {
    const principal = uniqueId("filters");
    const at = (minute: number) => new Date(Date.UTC(2032, 2, 1, 9, minute));
    const run = (suffix: string, minute: number, fields: Partial<RunRow>) =>
      completedRun({ runId: `${principal}-${suffix}`, principal, startedAt: at(minute), modelsUsed: [], ...fields });
    const runs: RunRow[] = [
      run("a", 1, { promptVersion: "support@1", model: "gpt-small", modelsUsed: ["gpt-small"], input: "Where is my ORDER #42?" }),
      run("b", 2, { promptVersion: "support@2", model: "gpt-large", modelsUsed: ["gpt-small", "gpt-large"], input: "refund 100% of the_total" }),
      run("c", 3, { promptVersion: "support-bot@1", model: "gpt-small", modelsUsed: ["gpt-small"], input: "order status, please" }),
      run("d", 4, { promptVersion: "supportx@1", model: "gpt-large", modelsUsed: ["gpt-large"], input: "100 percent sure" }),
      run("e", 5, { promptVersion: "sup_ort@1", model: "gpt-small", input: "an order of fries" }),
      run("f", 6, { promptVersion: "a%b@7", model: "other", modelsUsed: ["other"], input: "nothing to see" }),
      runningRun({ runId: `${principal}-g`, principal, startedAt: at(7), promptVersion: "support@2", model: "gpt-small", input: "Order again" }),
      completedRun({ runId: `${principal}-other`, principal: `${principal}-other`, startedAt: at(3), promptVersion: "support@1", model: "gpt-small", input: "order" }),
    ];
    const ids = (rows: RunRow[]) => rows.map((row) => row.runId.slice(principal.length + 1));
    beforeAll(() => store.write({ runs, events: [] }));

    it.each([
      { filter: { prompt: "support" }, expected: ["g", "b", "a"] },
      // `_` and `%` are the name's own characters, not patterns.
      { filter: { prompt: "sup_ort" }, expected: ["e"] },
      { filter: { prompt: "a%b" }, expected: ["f"] },
      { filter: { prompt: "a%" }, expected: [] },
      { filter: { prompt: "support-bot" }, expected: ["c"] },
      { filter: { promptVersion: "support@2" }, expected: ["g", "b"] },
      { filter: { promptVersion: "support@" }, expected: [] },
      // Answered a turn (models_used), or started on it and answered nothing yet (the running g).
      { filter: { model: "gpt-small" }, expected: ["g", "e", "c", "b", "a"] },
      { filter: { model: "gpt-large" }, expected: ["d", "b"] },
      { filter: { model: "gpt" }, expected: [] },
      { filter: { inputContains: "order" }, expected: ["g", "e", "c", "a"] },
      { filter: { inputContains: "ORDER #4" }, expected: ["a"] },
      { filter: { inputContains: "100%" }, expected: ["b"] },
      { filter: { inputContains: "the_total" }, expected: ["b"] },
      { filter: { inputContains: "%" }, expected: ["b"] },
      { filter: { inputContains: "_" }, expected: ["b"] },
      { filter: { prompt: "support", model: "gpt-small", status: "completed" as const }, expected: ["b", "a"] },
      { filter: { prompt: "support", inputContains: "order", startedBefore: at(7) }, expected: ["a"] },
      { filter: { promptVersion: "support@2", model: "gpt-large" }, expected: ["b"] },
    ])("filters by principal and $filter, newest first", async ({ filter, expected }) => {
      expect(ids(await store.listRuns({ principal, limit: 20, ...filter }))).toEqual(expected);
    });

    it("applies the filters to every principal's runs when no principal is given", async () => {
      const rows = await store.listRuns({ prompt: "support", inputContains: "order", startedAfter: at(0), startedBefore: at(8), limit: 20 });
      expect(rows.map((row) => row.runId).filter((id) => id.startsWith(principal))).toEqual([`${principal}-g`, `${principal}-other`, `${principal}-a`]);
    });

    it("pages through filtered runs with no run twice and none missing", async () => {
      const seen: string[] = [];
      let olderThan: { startedAt: Date; runId: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await store.listRuns({ principal, model: "gpt-small", limit: 2, ...(olderThan === undefined ? {} : { olderThan }) });
        seen.push(...ids(rows));
        const last = rows.at(-1);
        if (last === undefined) {
          break;
        }
        olderThan = { startedAt: last.startedAt, runId: last.runId };
      }
      expect(seen).toEqual(["g", "e", "c", "b", "a"]);
    });

    it("reads back whether a fallback answered", async () => {
      const [withFallback, without] = [uniqueId("fallback"), uniqueId("primary")];
      await store.write({ runs: [completedRun({ runId: withFallback, fallbackUsed: true }), completedRun({ runId: without, fallbackUsed: false })], events: [] });
      expect((await store.getRun(withFallback))?.fallbackUsed).toBe(true);
      expect((await store.getRun(without))?.fallbackUsed).toBeUndefined();
    });
  });

  describe("replicas", () => {
    it("ends the running runs of a replica that stopped sending heartbeats, and only those", async () => {
      const alive = uniqueId("alive");
      const silent = uniqueId("silent");
      const neverSeen = uniqueId("never-seen");
      await store.heartbeat(alive);
      await store.heartbeat(silent);
      const runs = {
        alive: runningRun({ runId: uniqueId("alive-run"), replicaId: alive }),
        silent: runningRun({ runId: uniqueId("silent-run"), replicaId: silent }),
        neverSeen: runningRun({ runId: uniqueId("never-seen-run"), replicaId: neverSeen }),
        silentDone: completedRun({ runId: uniqueId("silent-done"), replicaId: silent }),
      };
      await store.write({ runs: Object.values(runs), events: [] });
      // Only `alive` beats again; then everyone else's last beat is older than the staleness.
      // Wide margins: the others' beats are at least 500 ms old, alive's fresh one far younger than 400 ms.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await store.heartbeat(alive);
      const endedAt = new Date("2030-02-01T00:00:00Z");
      expect(await store.endRunsOfStoppedReplicas(400, endedAt)).toBeGreaterThanOrEqual(2);
      expect((await store.getRun(runs.alive.runId))?.status).toBe("running");
      for (const run of [runs.silent, runs.neverSeen]) {
        expect(await store.getRun(run.runId)).toMatchObject({ status: "failed", errorCode: "INTERRUPTED", errorStatus: "Unavailable", endedAt });
      }
      expect((await store.getRun(runs.silentDone.runId))?.status).toBe("completed");
    });
  });

  describe("retention", () => {
    // In 2001, before every other test's runs, so no other test's run ends before the cutoff.
    const at = (day: number) => new Date(Date.UTC(2001, 0, day));
    const cutoff = at(10);

    it("deletes only runs that ended before the cutoff, and their events, at most batchSize at a time", async () => {
      const prefix = uniqueId("old");
      const old = Array.from({ length: 5 }, (_, index) =>
        completedRun({ runId: `${prefix}-old-${index}`, startedAt: at(1), endedAt: at(2 + index) }),
      );
      const kept = [
        completedRun({ runId: `${prefix}-recent`, startedAt: at(1), endedAt: at(11) }),
        completedRun({ runId: `${prefix}-at-cutoff`, startedAt: at(1), endedAt: cutoff }),
        runningRun({ runId: `${prefix}-running`, startedAt: at(1) }),
      ];
      const all = [...old, ...kept];
      await store.write({ runs: all, events: all.flatMap((run) => runEvents(run.runId, 3)) });

      const deleted = [];
      for (let call = 0; call < 5; call++) {
        deleted.push(await store.deleteEndedBefore(cutoff, 2));
      }
      expect(deleted).toEqual([2, 2, 1, 0, 0]);
      for (const run of old) {
        expect(await store.getRun(run.runId)).toBeUndefined();
        expect(await store.listEvents(run.runId, 0, 10)).toEqual([]);
      }
      for (const run of kept) {
        expect(await store.getRun(run.runId)).toEqual(run);
        expect(await store.listEvents(run.runId, 0, 10)).toHaveLength(3);
      }
    });
  });
});

describe("run store on PGlite in a directory, closed and reopened", () => {
  it("still has the runs and events written before", async () => {
    const dir = await mkdtemp(join(tmpdir(), "run-store-reopen-"));
    try {
      const run = completedRun({ runId: uniqueId("kept") });
      const first = await openStore({ dataDir: dir });
      await first.write({ runs: [run], events: runEvents(run.runId, 4) });
      await first.close();

      const reopened = await openStore({ dataDir: dir });
      try {
        expect(await reopened.getRun(run.runId)).toEqual(run);
        expect(await reopened.listEvents(run.runId, 0, 10)).toEqual(runEvents(run.runId, 4));
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}
