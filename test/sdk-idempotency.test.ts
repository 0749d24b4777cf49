import { toJson } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AgentServiceError,
  Code,
  RunStatus,
  createAgentClient,
  type AgentClient,
  type AgentProtocol,
  type Run,
  type StreamResponse,
} from "../client/index.js";
import { StreamResponseSchema } from "../gen/agent/v1/agent_service_pb.js";
import { startBreakableProxy, type BreakableProxy } from "./support/breakable-proxy.js";
import { createCallRecorder, runIdOf, seqsUpTo, textOf } from "./support/call-recorder.js";
import { waitFor } from "./support/chaos/wait-for.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Idempotency keys through the SDK and the real service: a repeat gets the
// run its key already has, never a second run. Every task text is unique,
// so a run can be found by its input.

let svc: TestService;
let proxy: BreakableProxy;
let direct: AgentClient;
const clients: AgentClient[] = [];

beforeAll(async () => {
  svc = await startTestService({ AGENT_CACHE: "off" }, { simulator: { chunkDelayMs: 5 } });
  const { hostname, port } = new URL(svc.url);
  proxy = await startBreakableProxy({ host: hostname, port: Number(port) });
  direct = createAgentClient({ baseUrl: svc.url, protocol: "grpc", timeoutMs: 20_000 });
});
afterEach(() => {
  clients.splice(0).forEach((client) => client.close());
});
afterAll(async () => {
  direct.close();
  await proxy.close();
  await svc.close();
});

async function collect(events: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const seen: StreamResponse[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** A `#words` task no other test sends. */
const uniqueTask = (words: number) => `#words ${words} (task ${randomUUID()})`;

/** The recorded runs of a task, read through the direct client. */
async function runsOf(input: string): Promise<Run[]> {
  return (await direct.listRuns({ pageSize: 200 })).runs.filter((run) => run.input === input);
}

/** Whether the service attached a repeat of `idempotencyKey` to its run while that run was still going. */
const attachedWhileRunning = (idempotencyKey: string) =>
  svc.logs.some((line) => line["msg"] === "repeated idempotency key: answering with its run" && line["idempotency_key"] === idempotencyKey && line["status"] === "running");

/** Waits until the task's run is recorded as completed (durable before its answer is sent), and returns it. */
async function completedRun(input: string): Promise<Run> {
  let completed: Run | undefined;
  await waitFor(
    `the run of "${input}" to be recorded completed`,
    async () => {
      completed = (await runsOf(input)).find((run) => run.status === RunStatus.COMPLETED);
      return completed !== undefined;
    },
    { timeoutMs: 10_000 },
  );
  if (completed === undefined) throw new Error("unreachable");
  return completed;
}

/** An SDK client through the proxy, with an open connection and its attempts recorded. */
async function proxiedClient(protocol: AgentProtocol, httpVersion: "1.1" | "2") {
  const calls = createCallRecorder();
  const client = createAgentClient({ baseUrl: proxy.url, protocol, httpVersion, timeoutMs: 20_000, interceptors: [calls.interceptor] });
  clients.push(client);
  // Connected first, so that holding the answers holds only the call under test.
  await client.health();
  calls.methods.splice(0);
  return { client, calls };
}

const protocols: { protocol: AgentProtocol; httpVersion: "1.1" | "2" }[] = [
  { protocol: "connect", httpVersion: "2" },
  { protocol: "connect", httpVersion: "1.1" },
  { protocol: "grpc", httpVersion: "2" },
  { protocol: "grpc-web", httpVersion: "1.1" },
];

describe.each(protocols)("a call over $protocol (HTTP/$httpVersion) whose answer is lost after the run finished", ({ protocol, httpVersion }) => {
  it("execute: the SDK's retry with the same key gets the stored result, and the model ran once", async () => {
    const { client, calls } = await proxiedClient(protocol, httpVersion);
    const task = uniqueTask(20);
    svc.simulator.resetStats();
    // The request reaches the service; its answer stays in the proxy.
    proxy.holdResponses();
    const executing = client.execute(task, { bypassCache: true });
    executing.catch(() => undefined);
    const run = await completedRun(task);
    proxy.cut();
    const res = await executing;
    expect(res.runId).toBe(run.runId);
    expect(res.output).toBe(run.output);
    expect(calls.methods).toEqual(["Execute", "Execute"]);
    expect(svc.simulator.stats().requests).toBe(1);
    expect(await runsOf(task)).toHaveLength(1);
  });

  it("stream: the SDK repeats the Stream with the same key and gets the stored events from seq 1, once each", async () => {
    const { client, calls } = await proxiedClient(protocol, httpVersion);
    const task = uniqueTask(60);
    svc.simulator.resetStats();
    proxy.holdResponses();
    const reading = collect(client.stream(task, { textDeltas: "live", bypassCache: true }));
    reading.catch(() => undefined);
    const run = await completedRun(task);
    proxy.cut();
    const events = await reading;
    expect(runIdOf(events)).toBe(run.runId);
    expect(events.map((event) => event.seq)).toEqual(seqsUpTo(events.length));
    expect(events.at(-1)?.event.case).toBe("runCompleted");
    expect(textOf(events).trim()).toBe(run.output.trim());
    expect(calls.methods).toEqual(["Stream", "Stream"]);
    expect(svc.simulator.stats().requests).toBe(1);
  });
});

describe("one idempotency key", () => {
  it("makes one run of two concurrent executes: both get its run id", async () => {
    const task = uniqueTask(100);
    const idempotencyKey = randomUUID();
    svc.simulator.resetStats();
    const [first, second] = await Promise.all([
      direct.execute(task, { idempotencyKey, bypassCache: true }),
      direct.execute(task, { idempotencyKey, bypassCache: true }),
    ]);
    expect(second.runId).toBe(first.runId);
    expect(second.output).toBe(first.output);
    expect(svc.simulator.stats().requests).toBe(1);
    expect(await runsOf(task)).toHaveLength(1);
    // Concurrent indeed: the second call attached to the run in progress, not to its stored result.
    expect(attachedWhileRunning(idempotencyKey)).toBe(true);
  });

  it("makes one run of two concurrent streams: both get every event of it, from seq 1", async () => {
    const task = uniqueTask(100);
    const idempotencyKey = randomUUID();
    svc.simulator.resetStats();
    const [first, second] = await Promise.all([
      collect(direct.stream(task, { idempotencyKey, textDeltas: "live", bypassCache: true })),
      collect(direct.stream(task, { idempotencyKey, textDeltas: "live", bypassCache: true })),
    ]);
    expect(runIdOf(second)).toBe(runIdOf(first));
    expect(first.map((event) => event.seq)).toEqual(seqsUpTo(first.length));
    const asJson = (events: StreamResponse[]) => events.map((event) => toJson(StreamResponseSchema, event));
    expect(asJson(second)).toEqual(asJson(first));
    expect(svc.simulator.stats().requests).toBe(1);
    expect(attachedWhileRunning(idempotencyKey)).toBe(true);
  });

  it("answers a repeat of a finished run with its stored result, without calling a model", async () => {
    const task = uniqueTask(10);
    const idempotencyKey = randomUUID();
    const executed = await direct.execute(task, { idempotencyKey, bypassCache: true });
    svc.simulator.resetStats();
    const repeated = await direct.execute(task, { idempotencyKey, bypassCache: true });
    expect(repeated).toEqual(executed);
    expect(svc.simulator.stats().requests).toBe(0);
  });

  it("refuses the key with another input: INVALID_ARGUMENT, reason IDEMPOTENCY_KEY_REUSED, not retried", async () => {
    const calls = createCallRecorder();
    const client = createAgentClient({ baseUrl: svc.url, protocol: "connect", interceptors: [calls.interceptor] });
    clients.push(client);
    const idempotencyKey = randomUUID();
    const first = await client.execute(uniqueTask(5), { idempotencyKey });
    const err = await client.execute(uniqueTask(5), { idempotencyKey }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentServiceError);
    expect((err as AgentServiceError).code).toBe(Code.InvalidArgument);
    expect((err as AgentServiceError).reason).toBe("IDEMPOTENCY_KEY_REUSED");
    expect((err as AgentServiceError).runId).toBe(first.runId);
    expect((err as AgentServiceError).rawMessage).toContain(idempotencyKey);
    expect(calls.methods).toEqual(["Execute", "Execute"]);
    const streamed = await collect(client.stream(uniqueTask(5), { idempotencyKey })).catch((e: unknown) => e);
    expect((streamed as AgentServiceError).reason).toBe("IDEMPOTENCY_KEY_REUSED");
  });
});

describe("a run that failed", () => {
  let flaky: TestService;
  beforeAll(async () => {
    // Every model fails at once, without retries inside the service or a breaker opening.
    flaky = await startTestService({ AGENT_CACHE: "off", AGENT_MODEL_MAX_RETRIES: "0", AGENT_BREAKER_THRESHOLD: "1000" });
  });
  afterAll(() => flaky.close());

  it("frees its key: the SDK's retry of UNAVAILABLE runs the task again, with the same key", async () => {
    const keys: string[] = [];
    const client = createAgentClient({
      baseUrl: flaky.url,
      interceptors: [
        (next) => (req) => {
          if (!req.stream) keys.push((req.message as { idempotencyKey?: string }).idempotencyKey ?? "");
          return next(req);
        },
      ],
    });
    clients.push(client);
    // The first run's two model calls (primary and fallback) fail; the second run's succeed.
    flaky.simulator.setFaults([{ kind: "status", status: 503, times: 2 }]);
    try {
      const res = await client.execute("What is 17 * 23?");
      expect(res.output).toContain("391");
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
      const runs = (await client.listRuns()).runs;
      expect(runs.map((run) => run.status)).toEqual([RunStatus.COMPLETED, RunStatus.FAILED]);
      expect(runs[0]?.runId).toBe(res.runId);
    } finally {
      flaky.simulator.clearFaults();
    }
  });
});
