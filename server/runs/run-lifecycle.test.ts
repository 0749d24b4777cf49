import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { metrics as otelMetrics } from "@opentelemetry/api";
import { setImmediate as nextTurn } from "node:timers/promises";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { ExecuteResponseSchema, StreamResponseSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { StopReason } from "../../gen/agent/v1/run_pb.js";
import type { AgentExecutor } from "../agent/agent-executor.js";
import type { AuditEntry, RunRow } from "../store/index.js";
import { createServiceMetrics } from "../telemetry/service-metrics.js";
import { createLiveRuns } from "./live-runs.js";
import { createRunLifecycle } from "./run-lifecycle.js";
import { createRunLimiter } from "./run-limiter.js";
import type { RunRecorder } from "./run-recorder.js";
import type { RunWatcher } from "./run-watch.js";

// The lifecycle must never depend on its RPC asking for the next event once
// the RPC has ended: connect-node's write to an HTTP/1.1 socket destroyed
// just before its 'close' waits for a 'drain' that never comes, so the
// handler's generator is never resumed nor returned. Here the consumer reads
// one event, the RPC ends, and the consumer never calls the generator again.

const deltas = 50;

/** An executor whose run streams `deltas` text deltas, one per event-loop turn, and stops when its signal aborts. */
const executor: AgentExecutor = {
  primaryModel: "m",
  promptVersion: "p",
  async *run(request, signal) {
    yield create(StreamResponseSchema, { event: { case: "runStarted", value: { runId: request.runId ?? "", model: "m" } } });
    let output = "";
    for (let i = 0; i < deltas; i++) {
      await nextTurn();
      signal.throwIfAborted();
      output += "w ";
      yield create(StreamResponseSchema, { event: { case: "textDelta", value: { text: "w " } } });
    }
    yield create(StreamResponseSchema, {
      event: { case: "runCompleted", value: { result: create(ExecuteResponseSchema, { runId: request.runId ?? "", output, stopReason: StopReason.FINAL_ANSWER }) } },
    });
  },
};

function setUp(runExecutor: AgentExecutor = executor) {
  const rows: RunRow[] = [];
  const audited: AuditEntry[] = [];
  const recorder: RunRecorder = {
    run: (row) => rows.push(row),
    event: () => undefined,
    flush: () => Promise.resolve(),
    queued: () => 0,
    failing: () => false,
    close: () => Promise.resolve(0),
  };
  const live = createLiveRuns();
  const limiter = createRunLimiter({ maxConcurrent: 1, maxQueued: 0 });
  const lifecycle = createRunLifecycle({
    executor: runExecutor,
    limits: { maxInputChars: 1_000, maxIterations: 5, maxIterationsCap: 10, maxExecutionTimeMs: 60_000, maxExecutionTimeCapMs: 60_000, maxRunCostUsd: 0 },
    limiter,
    metrics: createServiceMetrics(otelMetrics.getMeter("test")),
    logger: pino({ level: "silent" }),
    recorder,
    store: { claimIdempotencyKey: () => Promise.resolve({ outcome: "claimed" }) },
    live,
    // No key is repeated here, so nothing is ever watched.
    watcher: {} as RunWatcher,
    audit: { append: (entry) => audited.push(entry) },
  });
  return { lifecycle, live, limiter, rows, audited };
}

/** Starts a Stream, reads its first event, ends its RPC the way a vanished caller does, and never reads again. */
async function vanishAfterFirstEvent(lifecycle: ReturnType<typeof setUp>["lifecycle"], idempotencyKey: string) {
  const rpc = new AbortController();
  const events = lifecycle.run({
    fields: { input: "hi", maxIterations: 0, bypassCache: false, idempotencyKey, threadId: "", maxCostUsd: 0 },
    signal: rpc.signal,
    span: undefined,
    streamText: true,
    principal: "svc-test",
  });
  const first = await events.next();
  expect(first.done === false && first.value.event.case).toBe("runStarted");
  rpc.abort(new ConnectError("the caller went away", Code.Aborted));
}

describe("a run whose RPC ends while its consumer holds an event (and never asks for another)", () => {
  it("goes on to its end when it is a keyed Stream, and frees its slot", async () => {
    const { lifecycle, live, limiter, rows, audited } = setUp();
    await vanishAfterFirstEvent(lifecycle, "key-1");
    await live.idle();
    expect(rows.at(-1)?.status).toBe("completed");
    expect(audited.map((entry) => [entry.action, entry.detail["status"]])).toEqual([["run_started", undefined], ["run_ended", "completed"]]);
    expect(rows.at(-1)?.output).toBe("w ".repeat(deltas));
    // The slot is freed just after the run's end is announced.
    await vi.waitFor(() => expect(limiter.inFlight()).toBe(0));
  });

  it("stops without a key, is recorded as canceled, and frees its slot", async () => {
    const { lifecycle, live, limiter, rows, audited } = setUp();
    await vanishAfterFirstEvent(lifecycle, "");
    await live.idle();
    expect(rows.at(-1)?.status).toBe("canceled");
    expect(audited.map((entry) => [entry.action, entry.detail["status"], entry.principal])).toEqual([
      ["run_started", undefined, "svc-test"],
      ["run_ended", "canceled", "svc-test"],
    ]);
    await vi.waitFor(() => expect(limiter.inFlight()).toBe(0));
  });
});

/** An executor whose run has one turn answered by `model` (a fallback when `fallback`), then ends as `end` says. */
function oneTurnExecutor(model: string, fallback: boolean, end: "complete" | "fail"): AgentExecutor {
  return {
    primaryModel: "primary",
    promptVersion: "p",
    async *run(request) {
      yield create(StreamResponseSchema, { event: { case: "runStarted", value: { runId: request.runId ?? "", model: "primary" } } });
      yield create(StreamResponseSchema, {
        event: { case: "modelCallFinished", value: { iteration: 1, call: { model, fallback, attempt: 1, finishReason: "stop" } } },
      });
      if (end === "fail") {
        throw new ConnectError("every model is unavailable", Code.Unavailable);
      }
      yield create(StreamResponseSchema, {
        event: { case: "runCompleted", value: { result: create(ExecuteResponseSchema, { runId: request.runId ?? "", model, fallbackUsed: fallback, output: "done", stopReason: StopReason.FINAL_ANSWER }) } },
      });
    },
  };
}

describe("whether a fallback answered, on the run's final record", () => {
  async function finalRow(runExecutor: AgentExecutor): Promise<RunRow | undefined> {
    const { lifecycle, rows } = setUp(runExecutor);
    const events = lifecycle.run({
      fields: { input: "hi", maxIterations: 0, bypassCache: false, idempotencyKey: "", threadId: "", maxCostUsd: 0 },
      signal: new AbortController().signal,
      span: undefined,
      streamText: false,
      principal: "svc-test",
    });
    try {
      for await (const _ of events) {
        // Read to the end.
      }
    } catch {
      // A failed run's record is what the test reads.
    }
    return rows.at(-1);
  }

  it.each([
    { end: "complete" as const, status: "completed", fallback: true },
    { end: "complete" as const, status: "completed", fallback: false },
    { end: "fail" as const, status: "failed", fallback: true },
    { end: "fail" as const, status: "failed", fallback: false },
  ])("records fallbackUsed: $fallback on a $status run, as its turns say", async ({ end, status, fallback }) => {
    const row = await finalRow(oneTurnExecutor(fallback ? "backup" : "primary", fallback, end));
    expect(row).toMatchObject({ status, fallbackUsed: fallback, modelsUsed: [fallback ? "backup" : "primary"] });
  });
});
