import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AgentService, ExecuteResponseSchema, StreamResponseSchema, type ExecuteResponse, type StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { RunService } from "../gen/agent/v1/run_service_pb.js";
import { AgentServiceError, createAgentClient, type AgentClient } from "./index.js";

// The client's retries and resumes against a fake service in memory; the
// real service and real broken connections are in test/sdk-resume.test.ts.

/** A client of fake AgentService and RunService handlers. */
function clientOf(agent: Partial<ServiceImpl<typeof AgentService>>, runs: Partial<ServiceImpl<typeof RunService>> = {}, retries?: number): AgentClient {
  const transport = createRouterTransport(({ service }) => {
    service(AgentService, agent);
    service(RunService, runs);
  });
  return createAgentClient({ transport, ...(retries === undefined ? {} : { retries }) });
}

/** An error as the service sends it, with its ErrorDetail. */
function serviceError(code: Code, reason: string, retryAfterMs?: number): ConnectError {
  return new ConnectError(`${reason} (simulated)`, code, undefined, [
    { desc: ErrorDetailSchema, value: { reason, retryAfter: retryAfterMs === undefined ? undefined : durationFromMs(retryAfterMs) } },
  ]);
}

/** What a broken HTTP/2 connection looks like to the client: CANCELED without a detail. */
const connectionLost = () => new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);

const result = (runId: string): ExecuteResponse => create(ExecuteResponseSchema, { runId, output: "391" });

/** Events 1..count of a run: runStarted, text deltas, runCompleted. */
function runEvents(runId: string, count: number): StreamResponse[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = index + 1;
    if (seq === 1) return create(StreamResponseSchema, { seq, event: { case: "runStarted", value: { runId } } });
    if (seq === count) return create(StreamResponseSchema, { seq, event: { case: "runCompleted", value: { result: result(runId) } } });
    return create(StreamResponseSchema, { seq, event: { case: "textDelta", value: { text: `w${seq} ` } } });
  });
}

async function collect(events: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const seen: StreamResponse[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err);

describe("the client's retries", () => {
  it("repeats a failed execute with the same idempotency key, a UUID by default", async () => {
    const keys: string[] = [];
    const client = clientOf({
      execute(req) {
        keys.push(req.idempotencyKey);
        if (keys.length === 1) throw serviceError(Code.Unavailable, "MODELS_UNAVAILABLE");
        return result("run-1");
      },
    });
    expect((await client.execute("What is 17 * 23?")).runId).toBe("run-1");
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it("sends the caller's own key, and a new one per call otherwise", async () => {
    const keys: string[] = [];
    const client = clientOf({ execute: (req) => (keys.push(req.idempotencyKey), result("run")) });
    await client.execute("a", { idempotencyKey: "order-42" });
    await client.execute("a");
    await client.execute("a");
    expect(keys[0]).toBe("order-42");
    expect(new Set(keys).size).toBe(3);
  });

  it("waits out the service's retry-after before the next attempt", async () => {
    const attempts: number[] = [];
    const client = clientOf({
      execute() {
        attempts.push(performance.now());
        if (attempts.length === 1) throw serviceError(Code.ResourceExhausted, "SERVER_AT_CAPACITY", 300);
        return result("run-1");
      },
    });
    await client.execute("a");
    expect(attempts).toHaveLength(2);
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(295);
  });

  it("gives up at once when the retry-after would pass the call's deadline", async () => {
    let attempts = 0;
    const client = clientOf({
      execute() {
        attempts += 1;
        throw serviceError(Code.ResourceExhausted, "SERVER_AT_CAPACITY", 60_000);
      },
    });
    const started = performance.now();
    const err = await failure(client.execute("a", { timeoutMs: 5_000 }));
    expect(err).toBeInstanceOf(AgentServiceError);
    expect((err as AgentServiceError).code).toBe(Code.ResourceExhausted);
    expect(attempts).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it.each([
    { answer: "INVALID_ARGUMENT", error: () => serviceError(Code.InvalidArgument, "IDEMPOTENCY_KEY_REUSED") },
    { answer: "RESOURCE_EXHAUSTED without a retry-after", error: () => serviceError(Code.ResourceExhausted, "BUDGET_EXHAUSTED") },
    { answer: "CANCELED from the service", error: () => serviceError(Code.Canceled, "CANCELED") },
    { answer: "DEADLINE_EXCEEDED", error: () => serviceError(Code.DeadlineExceeded, "DEADLINE_EXCEEDED") },
  ])("does not repeat $answer", async ({ error }) => {
    let attempts = 0;
    const client = clientOf({
      execute() {
        attempts += 1;
        throw error();
      },
    });
    const err = await failure(client.execute("a"));
    expect((err as AgentServiceError).reason).toBe(error().findDetails(ErrorDetailSchema)[0]?.reason);
    expect(attempts).toBe(1);
  });

  it("stops after `retries` failures in a row, with the last failure", async () => {
    let attempts = 0;
    const client = clientOf(
      {
        health() {
          attempts += 1;
          throw serviceError(Code.Unavailable, `SHUTTING_DOWN_${attempts}`);
        },
      },
      {},
      1,
    );
    const err = await failure(client.health());
    expect(attempts).toBe(2);
    expect((err as AgentServiceError).reason).toBe("SHUTTING_DOWN_2");
    // A call's own setting wins over the client's.
    attempts = 0;
    await failure(client.health({ retries: 0 }));
    expect(attempts).toBe(1);
  });

  it("ends a backoff at once with CANCELED when the caller aborts", async () => {
    const caller = new AbortController();
    let attempts = 0;
    const client = clientOf({
      execute() {
        attempts += 1;
        setImmediate(() => caller.abort());
        throw serviceError(Code.ResourceExhausted, "SERVER_AT_CAPACITY", 60_000);
      },
    });
    const err = await failure(client.execute("a", { signal: caller.signal }));
    expect(err).toBeInstanceOf(AgentServiceError);
    expect((err as AgentServiceError).code).toBe(Code.Canceled);
    expect(attempts).toBe(1);
  });

  it("never repeats a run sent without an idempotency key", async () => {
    const keys: string[] = [];
    const client = clientOf({
      execute(req) {
        keys.push(req.idempotencyKey);
        throw connectionLost();
      },
    });
    await failure(client.execute("a", { idempotencyKey: "" }));
    expect(keys).toEqual([""]);
  });

  it("rejects a retries option that is not a whole number", () => {
    expect(() => createAgentClient({ baseUrl: "http://127.0.0.1:1", retries: -1 })).toThrow(RangeError);
  });
});

describe("the client's resumed streams", () => {
  it("continues a stream that broke after runStarted through WatchRun after the last seq", async () => {
    const events = runEvents("run-1", 10);
    const watches: { runId: string; afterSeq: number }[] = [];
    const client = clientOf(
      {
        async *stream() {
          yield* events.slice(0, 4);
          throw connectionLost();
        },
      },
      {
        async *watchRun(req) {
          watches.push({ runId: req.runId, afterSeq: req.afterSeq });
          for (const event of events.filter((e) => e.seq > req.afterSeq)) yield { event };
        },
      },
    );
    const seen = await collect(client.stream("a", { textDeltas: "live" }));
    expect(seen.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    expect(watches).toEqual([{ runId: "run-1", afterSeq: 4 }]);
  });

  it("repeats a Stream that broke before runStarted with its key, and skips the events it replays", async () => {
    const events = runEvents("run-1", 6);
    const keys: string[] = [];
    const client = clientOf({
      async *stream(req) {
        keys.push(req.idempotencyKey);
        if (keys.length === 1) throw connectionLost();
        yield* events;
      },
    });
    const seen = await collect(client.stream("a", { textDeltas: "live" }));
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  it("skips what a resumed attempt replays, passing every event once", async () => {
    const events = runEvents("run-1", 8);
    let watches = 0;
    const client = clientOf(
      {
        async *stream() {
          yield* events.slice(0, 5);
          throw connectionLost();
        },
      },
      {
        async *watchRun() {
          watches += 1;
          // From the first event again: the SDK must drop seqs 1..5.
          for (const event of events) yield { event };
        },
      },
    );
    const seen = await collect(client.stream("a", { textDeltas: "live" }));
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(watches).toBe(1);
  });

  it("throws EVENT_SEQ_GAP when a seq is missing, instead of going on without it", async () => {
    const events = runEvents("run-1", 6);
    const client = clientOf({
      async *stream() {
        yield* events.filter((e) => e.seq !== 3);
      },
    });
    const seen: number[] = [];
    const err = await failure(
      (async () => {
        for await (const event of client.stream("a", { textDeltas: "live" })) seen.push(event.seq);
      })(),
    );
    expect(err).toBeInstanceOf(AgentServiceError);
    expect((err as AgentServiceError).code).toBe(Code.Internal);
    expect((err as AgentServiceError).reason).toBe("EVENT_SEQ_GAP");
    expect(seen).toEqual([1, 2]);
  });

  it("throws STREAM_ENDED_EARLY for a stream that ends before runCompleted", async () => {
    const client = clientOf({
      async *stream() {
        yield* runEvents("run-1", 6).slice(0, 3);
      },
    });
    const err = await failure(collect(client.stream("a")));
    expect((err as AgentServiceError).reason).toBe("STREAM_ENDED_EARLY");
  });

  it("does not restart a run that failed while it was followed", async () => {
    let watches = 0;
    const client = clientOf(
      {
        async *stream() {
          yield* runEvents("run-1", 6).slice(0, 3);
          throw serviceError(Code.Unavailable, "MODELS_UNAVAILABLE");
        },
      },
      {
        // eslint-disable-next-line require-yield
        async *watchRun() {
          watches += 1;
          throw serviceError(Code.Unavailable, "MODELS_UNAVAILABLE");
        },
      },
    );
    const err = await failure(collect(client.stream("a")));
    expect((err as AgentServiceError).reason).toBe("MODELS_UNAVAILABLE");
    expect(watches).toBe(0);
  });

  it("ends a watch from the run's last seq without events, and without an error", async () => {
    const events = runEvents("run-1", 5);
    const client = clientOf(
      {},
      {
        async *watchRun(req) {
          for (const event of events.filter((e) => e.seq > req.afterSeq)) yield { event };
        },
      },
    );
    expect(await collect(client.watchRun("run-1", { afterSeq: 5 }))).toEqual([]);
    expect((await collect(client.watchRun("run-1", { textDeltas: "live" }))).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("resumes a watch from the last seq it yielded", async () => {
    const events = runEvents("run-1", 9);
    const afterSeqs: number[] = [];
    const client = clientOf(
      {},
      {
        async *watchRun(req) {
          afterSeqs.push(req.afterSeq);
          const rest = events.filter((e) => e.seq > req.afterSeq);
          yield* rest.slice(0, 3).map((event) => ({ event }));
          if (rest.length > 3) throw connectionLost();
        },
      },
    );
    const seen = await collect(client.watchRun("run-1", { afterSeq: 2, textDeltas: "live" }));
    expect(seen.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(afterSeqs).toEqual([2, 5, 8]);
  });
});

describe("a caller's abort", () => {
  it("cancels the stream's run through CancelRun once the run started", async () => {
    const caller = new AbortController();
    const canceled: string[] = [];
    const client = clientOf(
      {
        async *stream(_req, ctx) {
          yield runEvents("run-1", 10)[0] as StreamResponse;
          // Holds the run open until the caller goes away.
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        },
      },
      {
        cancelRun(req) {
          canceled.push(req.runId);
          return {};
        },
      },
    );
    const err = await failure(
      (async () => {
        for await (const event of client.stream("a", { signal: caller.signal })) {
          if (event.event.case === "runStarted") caller.abort();
        }
      })(),
    );
    expect((err as AgentServiceError).code).toBe(Code.Canceled);
    await expect.poll(() => canceled).toEqual(["run-1"]);
  });
});
