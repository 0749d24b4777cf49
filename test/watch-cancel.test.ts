import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AgentService, StreamResponseSchema, type StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { RunService, RunStatus } from "../gen/agent/v1/run_service_pb.js";
import type { FaultRule } from "../server/simulator/index.js";
import { openStore } from "../server/store/index.js";
import { runningRun } from "../server/store/testing/run-fixtures.js";
import { waitFor } from "./support/chaos/wait-for.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { startTestService, type TestService } from "./support/test-service.js";

const started: TestService[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((svc) => svc.close()));
});

interface Replica {
  readonly svc: TestService;
  readonly agent: Client<typeof AgentService>;
  readonly runs: Client<typeof RunService>;
}

async function replica(env: Record<string, string>, chunkDelayMs = 0, faults: FaultRule[] = []): Promise<Replica> {
  const svc = await startTestService({ AGENT_CACHE: "off", ...env }, { simulator: { chunkDelayMs, faults } });
  started.push(svc);
  const transport = createGrpcTransport({ baseUrl: svc.url });
  return { svc, agent: createClient(AgentService, transport), runs: createClient(RunService, transport) };
}

/** Starts a Stream and collects its events; `ended` settles with the stream. */
function startStream(agent: Client<typeof AgentService>, input: string) {
  const events: StreamResponse[] = [];
  const ended = (async () => {
    for await (const event of agent.stream({ input })) {
      events.push(event);
    }
  })();
  // Observed by the test when it cares; never an unhandled rejection.
  ended.catch(() => undefined);
  return {
    events,
    ended,
    async runId(): Promise<string> {
      await waitFor("the run to start", () => events.length > 0);
      const first = events[0]?.event;
      return first?.case === "runStarted" ? first.value.runId : "";
    },
  };
}

async function watchAll(runs: Client<typeof RunService>, runId: string, afterSeq = 0, onEvent?: () => void): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const { event } of runs.watchRun({ runId, afterSeq })) {
    if (event !== undefined) {
      events.push(event);
      onEvent?.();
    }
  }
  return events;
}

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

const asJson = (events: readonly StreamResponse[]) => events.map((event) => toJson(StreamResponseSchema, event));
const reasonOf = (err: ConnectError) => err.findDetails(ErrorDetailSchema)[0]?.reason;

describe("two replicas on one PostgreSQL", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("watch");
  });
  afterAll(() => db.drop());

  async function pair(): Promise<{ a: Replica; b: Replica }> {
    // The answer is paced, so the run is still going while B watches it.
    const a = await replica({ DATABASE_URL: db.url }, 20);
    const b = await replica({ DATABASE_URL: db.url, OPENAI_BASE_URL: a.svc.simulator.url });
    return { a, b };
  }

  it("a run started on A is watched live from B: every event, in order, then the end", async () => {
    const { a, b } = await pair();
    const stream = startStream(a.agent, "Tell me a story #words 80");
    const runId = await stream.runId();
    let whileRunning = 0;
    let streamEnded = false;
    void stream.ended.then(() => (streamEnded = true));
    const watched = await watchAll(b.runs, runId, 0, () => {
      if (!streamEnded) {
        whileRunning += 1;
      }
    });
    await stream.ended;
    expect(asJson(watched)).toEqual(asJson(stream.events));
    expect(watched.at(-1)?.event.case).toBe("runCompleted");
    // Live, not read back afterwards: most of it reached B before A's caller had the end.
    expect(whileRunning).toBeGreaterThan(watched.length / 2);
    // Resuming from a seq gives exactly the rest.
    const rest = await watchAll(b.runs, runId, 5);
    expect(asJson(rest)).toEqual(asJson(stream.events.slice(5)));
  });

  it("a run started on A is canceled from B: A's model call is aborted and every caller sees CANCELED", async () => {
    const { a, b } = await pair();
    const stream = startStream(a.agent, "Tell me a long story #words 2000");
    const runId = await stream.runId();
    await waitFor("the answer to stream", () => stream.events.some((e) => e.event.case === "textDelta"));
    const watching = failure(watchAll(b.runs, runId));
    const aborted = once(a.svc.simulator.events, "aborted");

    const { run } = await b.runs.cancelRun({ runId });

    expect(run).toMatchObject({ runId, status: RunStatus.CANCELED, errorCode: "RUN_CANCELED" });
    await aborted;
    expect(a.svc.simulator.stats().aborted).toBe(1);
    const streamError = await failure(stream.ended);
    expect(streamError.code).toBe(Code.Canceled);
    expect(reasonOf(streamError)).toBe("RUN_CANCELED");
    const watchError = await watching;
    expect([watchError.code, reasonOf(watchError)]).toEqual([Code.Canceled, "RUN_CANCELED"]);
    // A second cancel, from either replica, returns the run as it ended.
    expect((await a.runs.cancelRun({ runId })).run?.status).toBe(RunStatus.CANCELED);
  });
});

describe("a run whose replica stopped without ending it", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("orphan");
  });
  afterAll(() => db.drop());

  it("is ended as INTERRUPTED by the replicas still alive: its watch ends, and its key runs again", async () => {
    // What a replica that crashed mid-run leaves: a running run with a key, and a heartbeat long past.
    const store = await openStore({ databaseUrl: db.url, dataDir: "unused" });
    const runId = randomUUID();
    const idempotencyKey = randomUUID();
    const input = "Hello!";
    try {
      await store.heartbeat("crashed-replica");
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      await sql.query("UPDATE replicas SET heartbeat_at = now() - interval '1 hour' WHERE replica_id = 'crashed-replica'");
      await sql.end();
      // The digest a real Execute of this input with this key has, so that the repeat below matches.
      const digest = createHash("sha256").update(JSON.stringify([input, 0, null, false, ""])).digest("hex");
      const claim = await store.claimIdempotencyKey({
        run: runningRun({ runId, principal: "dev", threadId: "", idempotencyKey, requestDigest: digest, replicaId: "crashed-replica", startedAt: new Date() }),
        expiredBefore: new Date(0),
      });
      expect(claim.outcome).toBe("claimed");
    } finally {
      await store.close();
    }

    // A replica that starts sweeps at once.
    const { agent, runs } = await replica({ DATABASE_URL: db.url });
    const watched = await failure(watchAll(runs, runId));
    expect([watched.code, reasonOf(watched)]).toEqual([Code.Unavailable, "INTERRUPTED"]);
    expect((await runs.getRun({ runId })).run).toMatchObject({ status: RunStatus.FAILED, errorCode: "INTERRUPTED" });
    const again = await agent.execute({ input, idempotencyKey });
    expect(again.runId).not.toBe(runId);
    expect(again.output).not.toBe("");
  });
});

describe("WatchRun and CancelRun on one replica", () => {
  it("replays a finished run, from the start or after a seq", async () => {
    const { agent, runs } = await replica({});
    const events: StreamResponse[] = [];
    for await (const event of agent.stream({ input: "What is 17 * 23?" })) {
      events.push(event);
    }
    const runId = events[0]?.event.case === "runStarted" ? events[0].event.value.runId : "";
    expect(asJson(await watchAll(runs, runId))).toEqual(asJson(events));
    expect(asJson(await watchAll(runs, runId, events.length - 1))).toEqual(asJson(events.slice(-1)));
    expect(await watchAll(runs, runId, events.length)).toEqual([]);
  });

  it("ends the watch of a failed run with the error its caller got", async () => {
    // Every model answers 400: the run fails at once, without retries.
    const { agent, runs } = await replica({}, 0, [{ kind: "status", status: 400 }]);
    const stream = startStream(agent, "Hello!");
    const runId = await stream.runId();
    const original = await failure(stream.ended);
    expect(original.code).toBe(Code.Internal);
    const watched = await failure(watchAll(runs, runId));
    expect([watched.code, reasonOf(watched), watched.rawMessage]).toEqual([original.code, reasonOf(original), original.rawMessage]);
  });

  it("cancels a running run here, and returns a finished one unchanged", async () => {
    const { agent, runs, svc } = await replica({}, 20);
    const stream = startStream(agent, "Tell me a long story #words 2000");
    const runId = await stream.runId();
    const aborted = once(svc.simulator.events, "aborted");
    const { run } = await runs.cancelRun({ runId });
    expect(run?.status).toBe(RunStatus.CANCELED);
    await aborted;
    expect((await failure(stream.ended)).code).toBe(Code.Canceled);

    const done = await agent.execute({ input: "Hello!" });
    expect((await runs.cancelRun({ runId: done.runId })).run).toMatchObject({ runId: done.runId, status: RunStatus.COMPLETED, output: done.output });
  });

  it("answers NOT_FOUND for an unknown run and INVALID_ARGUMENT for none", async () => {
    const { runs } = await replica({});
    const unknown = await failure(watchAll(runs, "no-such-run"));
    expect([unknown.code, reasonOf(unknown)]).toEqual([Code.NotFound, "RUN_NOT_FOUND"]);
    expect((await failure(runs.cancelRun({ runId: "no-such-run" }))).code).toBe(Code.NotFound);
    const blank = await failure(watchAll(runs, " "));
    expect(blank.code).toBe(Code.InvalidArgument);
    expect(blank.findDetails(ErrorDetailSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["run_id"]);
    expect((await failure(runs.cancelRun({ runId: "" }))).code).toBe(Code.InvalidArgument);
  });
});
