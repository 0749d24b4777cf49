import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAgentClient } from "../client/index.js";
import { AgentService, StreamResponseSchema, type StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { RunService, RunStatus } from "../gen/agent/v1/run_service_pb.js";
import { createSimulator, type FaultRule } from "../server/simulator/index.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { startServiceProcess, type ServiceProcess } from "./support/service-process.js";
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
    // Concurrent indeed: the repeats attached to the run in progress, not to its stored result.
    const attached = svc.logs.filter((line) => line["msg"] === "repeated idempotency key: answering with its run" && line["idempotency_key"] === key);
    expect(attached.map((line) => line["status"])).toEqual(["running", "running"]);
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

/**
 * A TCP proxy in front of a service process that kills the process the moment
 * the first byte of its answer arrives, before forwarding it: the service
 * crashed right after it sent the response, which the client never got. The
 * client's connection is held open until `release`, then closed; by then the
 * proxy forwards to the service's successor.
 */
async function startCrashingProxy() {
  let target = 0;
  let victim: ServiceProcess | undefined;
  let crashed: () => void = () => undefined;
  const crash = new Promise<void>((resolve) => (crashed = resolve));
  const held: Socket[] = [];
  const server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    const armed = victim;
    victim = undefined;
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    upstream.on("data", (chunk: Buffer) => {
      if (armed !== undefined) {
        if (armed.child.exitCode === null && armed.child.signalCode === null) {
          armed.child.kill("SIGKILL");
          held.push(client);
          crashed();
        }
        return; // Nothing of the dead service's answer reaches the client.
      }
      client.write(chunk);
    });
    const destroy = () => {
      upstream.destroy();
      if (armed === undefined) client.destroy();
    };
    upstream.on("close", destroy).on("error", destroy);
    client.on("close", () => upstream.destroy()).on("error", () => upstream.destroy());
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Forwards new connections to `port`; the next one's service is killed when it first answers. */
    forwardTo(port: number, killOnAnswer?: ServiceProcess) {
      target = port;
      victim = killOnAnswer;
    },
    /** Resolves once the service has been killed with its answer unsent. */
    crash,
    /** Closes the client connections held since the crash: the client sees its connection lost. */
    release: () => held.splice(0).forEach((socket) => socket.destroy()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("an idempotency key across a server crash", () => {
  let db: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    db = await createTestDatabase("idempotency_crash");
    dataDir = mkdtempSync(join(tmpdir(), "agent-idempotency-crash-"));
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    { engine: "PostgreSQL", env: (): Record<string, string> => ({ DATABASE_URL: db.url }) },
    { engine: "embedded PGlite on disk", env: (): Record<string, string> => ({ AGENT_DATA_DIR: join(dataDir, "data") }) },
  ])(
    "on $engine: the service is killed right after it sent the answer; the SDK's retry with the same key gets the run it made, and the model ran once",
    async ({ env }) => {
      // The provider outlives both processes, so it counts the model calls of both.
      const provider = await createSimulator({ models: ["sim-small"] });
      const proxy = await startCrashingProxy();
      const processes: ServiceProcess[] = [];
      const start = async () => {
        const svc = startServiceProcess(process.execPath, ["--import", "tsx", "server/main.ts"], {
          LOG_LEVEL: "info",
          OTEL_TRACES_EXPORTER: "none",
          OTEL_METRICS_EXPORTER: "none",
          HOST: "127.0.0.1",
          PORT: "0",
          METRICS_PORT: "off",
          AGENT_CACHE: "off",
          OPENAI_BASE_URL: provider.url,
          OPENAI_API_KEY: "sk-test-secret-key-never-logged",
          AGENT_MODELS: "sim-small",
          ...env(),
        });
        processes.push(svc);
        return { svc, port: Number(new URL(await svc.listening).port) };
      };
      const keys: string[] = [];
      // HTTP/1.1 and the Connect protocol: the service writes nothing on the connection before its answer.
      const client = createAgentClient({
        baseUrl: proxy.url,
        protocol: "connect",
        httpVersion: "1.1",
        timeoutMs: 60_000,
        interceptors: [
          (next) => (req) => {
            keys.push((req.message as { idempotencyKey?: string }).idempotencyKey ?? "");
            return next(req);
          },
        ],
      });
      try {
        const first = await start();
        proxy.forwardTo(first.port, first.svc);
        const input = `What is 17 * 23? (task ${randomUUID()})`;
        const executing = client.execute(input);
        executing.catch(() => undefined);
        await proxy.crash;
        expect(await first.svc.exited).toBe("SIGKILL");
        const modelCalls = provider.stats().requests;
        expect(modelCalls).toBeGreaterThan(0);

        const second = await start();
        proxy.forwardTo(second.port);
        proxy.release();
        const res = await executing;

        expect(res.output).toContain("391");
        expect(keys).toHaveLength(2);
        expect(keys[1]).toBe(keys[0]);
        expect(keys[0]).not.toBe("");
        expect(provider.stats().requests).toBe(modelCalls);
        const recorded = (await client.listRuns()).runs.filter((run) => run.input === input);
        expect(recorded.map((run) => [run.runId, run.status, run.output])).toEqual([[res.runId, RunStatus.COMPLETED, res.output]]);
      } finally {
        client.close();
        for (const svc of processes) {
          if (svc.child.exitCode === null && svc.child.signalCode === null) {
            svc.child.kill("SIGTERM");
          }
          await svc.exited;
        }
        await proxy.close();
        await provider.close();
      }
    },
    90_000,
  );
});
