import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AgentService, StreamResponseSchema, type StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { RunService, RunStatus } from "../gen/agent/v1/run_service_pb.js";
import type { FaultRule } from "../server/simulator/index.js";
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

async function replica(env: Record<string, string> = {}, simulator: { chunkDelayMs?: number; faults?: FaultRule[] } = {}): Promise<Replica> {
  const svc = await startTestService({ AGENT_CACHE: "off", ...env }, { simulator });
  started.push(svc);
  const transport = createGrpcTransport({ baseUrl: svc.url });
  return { svc, agent: createClient(AgentService, transport), runs: createClient(RunService, transport) };
}

async function stop(replica: Replica): Promise<void> {
  started.splice(started.indexOf(replica.svc), 1);
  await replica.svc.close();
}

async function streamed(agent: Client<typeof AgentService>, input: string, idempotencyKey: string): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const event of agent.stream({ input, idempotencyKey })) {
    events.push(event);
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

describe("idempotency keys", () => {
  it("answers a repeat of a finished run with its stored result, without calling a model", async () => {
    const { agent, svc } = await replica();
    const key = randomUUID();
    const first = await agent.execute({ input: "What is 17 * 23?", idempotencyKey: key });
    const calls = svc.simulator.stats().requests;
    const again = await agent.execute({ input: "What is 17 * 23?", idempotencyKey: key });
    expect(again).toEqual(first);
    expect(svc.simulator.stats().requests).toBe(calls);

    // Stream replays the run's events; a repeat of a Stream, every one of them.
    const streamKey = randomUUID();
    const events = await streamed(agent, "What is 6 * 7?", streamKey);
    const replayed = await streamed(agent, "What is 6 * 7?", streamKey);
    expect(asJson(replayed)).toEqual(asJson(events));
    const summary = await agent.execute({ input: "What is 6 * 7?", idempotencyKey: streamKey });
    const last = events.at(-1)?.event;
    expect(last?.case === "runCompleted" ? last.value.result : undefined).toEqual(summary);
    expect(svc.simulator.stats().requests).toBe(calls + 2);
  });

  it("makes one run of concurrent calls with one key, each getting its result", async () => {
    const { agent, svc } = await replica({}, { chunkDelayMs: 10 });
    const key = randomUUID();
    const input = "Tell me a story #words 40";
    const [a, b, c] = await Promise.all([
      agent.execute({ input, idempotencyKey: key }),
      agent.execute({ input, idempotencyKey: key }),
      streamed(agent, input, key),
    ]);
    expect(b).toEqual(a);
    const last = c.at(-1)?.event;
    expect(last?.case === "runCompleted" ? last.value.result?.runId : undefined).toBe(a.runId);
    expect(svc.simulator.stats().requests).toBe(1);
  });

  it("refuses a key reused for another request, naming the key", async () => {
    const { agent } = await replica();
    const key = randomUUID();
    const first = await agent.execute({ input: "Hello!", idempotencyKey: key });
    const reused = await failure(agent.execute({ input: "Hello again!", idempotencyKey: key }));
    expect(reused.code).toBe(Code.InvalidArgument);
    expect(reused.rawMessage).toContain(key);
    const detail = reused.findDetails(ErrorDetailSchema)[0];
    expect([detail?.reason, detail?.runId]).toEqual(["IDEMPOTENCY_KEY_REUSED", first.runId]);
    // A limit is part of the request too.
    expect((await failure(agent.execute({ input: "Hello!", idempotencyKey: key, maxIterations: 2 }))).code).toBe(Code.InvalidArgument);
    // The same key of another principal is another key: not testable before authentication; the store test covers it.
  });

  it("frees the key of a run that failed, so a retry runs again", async () => {
    const { agent, runs, svc } = await replica({}, { faults: [{ kind: "status", status: 400, times: 2 }] });
    const key = randomUUID();
    const failed = await failure(agent.execute({ input: "Hello!", idempotencyKey: key }));
    const failedRunId = failed.findDetails(ErrorDetailSchema)[0]?.runId ?? "";
    expect(failed.code).toBe(Code.Internal);
    const retried = await agent.execute({ input: "Hello!", idempotencyKey: key });
    expect(retried.runId).not.toBe(failedRunId);
    expect(retried.output).not.toBe("");
    expect((await runs.getRun({ runId: failedRunId })).run?.status).toBe(RunStatus.FAILED);
    expect(svc.simulator.stats().requests).toBe(3);
  });

  it("keeps its key across a restart: the repeat gets the run the first process made", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "agent-idempotency-"));
    try {
      const first = await replica({ AGENT_DATA_DIR: dataDir });
      const key = randomUUID();
      const result = await first.agent.execute({ input: "What is 17 * 23?", idempotencyKey: key });
      await stop(first);
      const second = await replica({ AGENT_DATA_DIR: dataDir });
      expect(await second.agent.execute({ input: "What is 17 * 23?", idempotencyKey: key })).toEqual(result);
      expect(second.svc.simulator.stats().requests).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("idempotency keys across replicas on one PostgreSQL", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("idempotency");
  });
  afterAll(() => db.drop());

  it("makes one run of a key sent to two replicas at once", async () => {
    const a = await replica({ DATABASE_URL: db.url }, { chunkDelayMs: 10 });
    const b = await replica({ DATABASE_URL: db.url, OPENAI_BASE_URL: a.svc.simulator.url });
    const key = randomUUID();
    const input = "Tell me a story #words 40";
    const [fromA, fromB] = await Promise.all([a.agent.execute({ input, idempotencyKey: key }), b.agent.execute({ input, idempotencyKey: key })]);
    expect(fromB).toEqual(fromA);
    expect(a.svc.simulator.stats().requests).toBe(1);
  });
});
