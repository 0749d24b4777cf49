import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { RunEventRow, RunRow, RunStore, RunWriteBatch } from "../store/index.js";
import { createRunRecorder } from "./run-recorder.js";

/** A store that keeps batches in memory and fails while `down` is set. */
function memoryStore() {
  const batches: RunWriteBatch[] = [];
  const state = { down: false, writes: 0, failures: 0 };
  let onWrite: (() => void) | undefined;
  const store: RunStore = {
    kind: "pglite",
    async write(batch) {
      await Promise.resolve();
      if (state.down) {
        state.failures += 1;
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
      }
      state.writes += 1;
      batches.push(batch);
      onWrite?.();
    },
    getRun: () => Promise.resolve(undefined),
    listEvents: () => Promise.resolve([]),
    listRuns: () => Promise.resolve([]),
    listThreadRuns: () => Promise.resolve([]),
    claimIdempotencyKey: () => Promise.resolve({ outcome: "claimed" }),
    deleteKeysClaimedBefore: () => Promise.resolve(0),
    endInterruptedRuns: () => Promise.resolve(0),
    heartbeat: () => Promise.resolve(),
    endRunsOfStoppedReplicas: () => Promise.resolve(0),
    deleteEndedBefore: () => Promise.resolve(0),
    close: () => Promise.resolve(),
  };
  const events = () => batches.flatMap((b) => b.events.map((e) => `${e.runId}:${e.seq}`));
  const runs = () => batches.flatMap((b) => b.runs.map((r) => `${r.runId}:${r.status}`));
  const nextWrite = () => new Promise<void>((resolve) => (onWrite = resolve));
  return { store, state, batches, events, runs, nextWrite };
}

const logger = pino({ level: "silent" });

function row(runId: string, status: RunRow["status"] = "running"): RunRow {
  return {
    runId, principal: "anonymous", threadId: "", status, input: "hi", output: "", promptVersion: "p", model: "m", modelsUsed: [],
    inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0, iterations: 0, stopReason: "", errorCode: "", errorMessage: "", errorStatus: "", replicaId: "",
    traceId: "t", idempotencyKey: "", requestDigest: "", startedAt: new Date(0), endedAt: undefined, result: undefined,
  };
}

/** An event of a kind that is never packed, one row each. */
function event(runId: string, seq: number): RunEventRow {
  return { runId, seq, lastSeq: seq, kind: "toolCallFinished", payload: new Uint8Array([seq]), at: new Date(0) };
}

function delta(runId: string, seq: number): RunEventRow {
  return { ...event(runId, seq), kind: "textDelta" };
}

describe("createRunRecorder", () => {
  it("writes in order, one transaction per batch, the latest row of a run winning within a batch", async () => {
    const { store, events, runs, batches } = memoryStore();
    const recorder = createRunRecorder({ store, logger, maxBatch: 3, flushDelayMs: 1 });
    recorder.run(row("a"));
    recorder.event(event("a", 1));
    recorder.event(event("a", 2));
    recorder.event(event("a", 3));
    recorder.run(row("a", "completed"));
    await recorder.flush();
    expect(events()).toEqual(["a:1", "a:2", "a:3"]);
    expect(runs()).toEqual(["a:running", "a:completed"]);
    expect(batches.map((b) => b.runs.length + b.events.length)).toEqual([3, 2]);
    expect(recorder.queued()).toBe(0);
  });

  it("keeps what a failed write held, retries it with backoff, and catches up in order once the store is back", async () => {
    const { store, state, events, runs } = memoryStore();
    const writes: string[] = [];
    const recorder = createRunRecorder({
      store, logger, flushDelayMs: 1, retryDelayMs: 1, maxRetryDelayMs: 4,
      observer: { onWrite: ({ outcome }) => writes.push(outcome) },
    });
    state.down = true;
    for (let seq = 1; seq <= 5; seq += 1) {
      recorder.event(event("b", seq));
    }
    recorder.run(row("b", "completed"));
    while (state.failures < 3) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(events()).toEqual([]);
    expect(recorder.queued()).toBe(6);
    state.down = false;
    await recorder.flush();
    expect(events()).toEqual(["b:1", "b:2", "b:3", "b:4", "b:5"]);
    expect(runs()).toEqual(["b:completed"]);
    expect(writes.filter((w) => w === "error").length).toBeGreaterThanOrEqual(3);
    expect(writes.at(-1)).toBe("ok");
  });

  it("drops and counts new records when its queue is full, and never throws", async () => {
    const { store, state } = memoryStore();
    const dropped: number[] = [];
    const recorder = createRunRecorder({ store, logger, maxQueued: 3, retryDelayMs: 1, observer: { onDropped: ({ count }) => dropped.push(count) } });
    state.down = true;
    for (let seq = 1; seq <= 5; seq += 1) {
      expect(() => recorder.event(event("c", seq))).not.toThrow();
    }
    expect(recorder.queued()).toBe(3);
    expect(dropped).toEqual([1, 1]);
    state.down = false;
    await recorder.close(5_000);
  });

  it("flush waits only for what was queued before it; it gives up when its signal aborts", async () => {
    const { store, state } = memoryStore();
    const recorder = createRunRecorder({ store, logger, flushDelayMs: 60_000, retryDelayMs: 1 });
    await expect(recorder.flush()).resolves.toBeUndefined();
    state.down = true;
    recorder.event(event("d", 1));
    const gaveUp = new AbortController();
    const waiting = recorder.flush(gaveUp.signal);
    gaveUp.abort(new Error("deadline"));
    await expect(waiting).rejects.toThrow("deadline");
    state.down = false;
    // flush also cuts the batching delay short: a minute-long delay does not hold a read up.
    await recorder.flush();
    expect(recorder.queued()).toBe(0);
  });

  it("close writes everything queued, and reports what a store that stays down left unwritten", async () => {
    const up = memoryStore();
    const recorder = createRunRecorder({ store: up.store, logger, flushDelayMs: 60_000 });
    recorder.run(row("e"));
    recorder.event(event("e", 1));
    await expect(recorder.close(5_000)).resolves.toBe(0);
    expect(up.events()).toEqual(["e:1"]);
    recorder.event(event("e", 2));
    expect(recorder.queued()).toBe(0);

    const down = memoryStore();
    down.state.down = true;
    const stuck = createRunRecorder({ store: down.store, logger, retryDelayMs: 1 });
    stuck.event(event("f", 1));
    stuck.event(event("f", 2));
    await expect(stuck.close(50)).resolves.toBe(2);
  });

  it("packs consecutive text deltas of a run into one row, never into one a write in flight holds", async () => {
    const { store, batches, nextWrite } = memoryStore();
    const recorder = createRunRecorder({ store, logger, flushDelayMs: 60_000 });
    const started = { ...event("g", 1), kind: "runStarted" };
    recorder.event(started);
    recorder.event(delta("g", 2));
    recorder.event(delta("g", 3));
    recorder.event(delta("h", 1));
    recorder.event(delta("g", 4));
    recorder.event({ ...event("g", 5), kind: "modelCallFinished" });
    recorder.event(delta("g", 6));
    expect(recorder.queued()).toBe(6);
    const first = nextWrite();
    const flushed = recorder.flush();
    // While that write is in flight, a delta that follows the queued ones starts a row of its own.
    recorder.event(delta("g", 7));
    await first;
    await flushed;
    await recorder.flush();
    const rows = batches.flatMap((batch) => batch.events.map((row) => [row.runId, row.seq, row.lastSeq, [...row.payload]]));
    expect(rows).toEqual([
      ["g", 1, 1, [1]],
      ["g", 2, 3, [2, 3]],
      ["h", 1, 1, [1]],
      ["g", 4, 4, [4]],
      ["g", 5, 5, [5]],
      ["g", 6, 6, [6]],
      ["g", 7, 7, [7]],
    ]);
  });
});
