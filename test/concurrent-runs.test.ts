import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentServiceError, Code, RunStatus, createAgentClient, type AgentClient, type StreamResponse } from "../client/index.js";
import { createSimulator, type Simulator } from "../server/simulator/index.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { startTestService, type TestService } from "./support/test-service.js";

// A principal's concurrent runs through the real server: at its limit, its
// next run is refused at once (RESOURCE_EXHAUSTED, CONCURRENT_RUNS_LIMITED),
// another principal's is not, and a run that finished gives its place back.
//
// The service reaches the model through a proxy the test stalls: a run that
// started (runStarted, sent before its first model call) then holds its place
// for as long as the test needs, whatever the machine's speed. Restored, each
// run streams a long answer and finishes.

const chunkDelayMs = 5;
const longQuestion = "#words 300";
const principals = { limited: "svc-two-at-a-time", other: "svc-unlimited" };
const keys = { limited: randomBytes(16).toString("hex"), other: randomBytes(16).toString("hex") };

let dir: string;
let simulator: Simulator;
let modelPath: TcpProxy;
let svc: TestService;
const clients: AgentClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-concurrent-runs-"));
  const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");
  await writeFile(
    join(dir, "keys.json"),
    JSON.stringify([
      { principal: principals.limited, roles: ["caller"], sha256: sha256(keys.limited) },
      { principal: principals.other, roles: ["caller"], sha256: sha256(keys.other) },
    ]),
  );
  await writeFile(join(dir, "limits.json"), JSON.stringify({ principals: { [principals.limited]: { concurrent_runs: 2 } } }));
  simulator = await createSimulator({ models: ["sim-small", "sim-large"], chunkDelayMs });
  const { hostname, port } = new URL(simulator.url);
  modelPath = await startTcpProxy({ host: hostname, port: Number(port) });
  svc = await startTestService(
    {
      AGENT_API_KEYS_FILE: join(dir, "keys.json"),
      AGENT_LIMITS_FILE: join(dir, "limits.json"),
      OPENAI_BASE_URL: `http://127.0.0.1:${modelPath.port}/v1`,
    },
    { simulator: { chunkDelayMs } },
  );
});

afterAll(async () => {
  clients.splice(0).forEach((client) => client.close());
  modelPath.restore();
  await svc.close();
  await modelPath.close();
  await simulator.close();
  await rm(dir, { recursive: true, force: true });
});

function client(token: string): AgentClient {
  const made = createAgentClient({ baseUrl: svc.url, protocol: "grpc", timeoutMs: 30_000, retries: 0, token });
  clients.push(made);
  return made;
}

/** A stream being read: `started` once its run started (it holds a place), `done` with every event once it ended. */
interface OpenStream {
  readonly started: Promise<void>;
  readonly done: Promise<StreamResponse[]>;
}

function openStream(agent: AgentClient, input: string): OpenStream {
  let onStarted: () => void = () => undefined;
  const startedEvent = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
  const done = (async () => {
    const events: StreamResponse[] = [];
    for await (const event of agent.stream(input, { bypassCache: true })) {
      events.push(event);
      if (event.event.case === "runStarted") {
        onStarted();
      }
    }
    return events;
  })();
  // A stream that ends before its run started fails `started` instead of leaving it waiting.
  const started = Promise.race([
    startedEvent,
    done.then(
      () => Promise.reject(new Error("the stream ended before its run started")),
      (err: unknown) => Promise.reject(err instanceof Error ? err : new Error(String(err))),
    ),
  ]);
  return { started, done };
}

/** The AgentServiceError `call` fails with; fails the test if it succeeds. */
async function failure(call: Promise<unknown>): Promise<AgentServiceError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentServiceError);
  return err as AgentServiceError;
}

function expectConcurrentRunsLimited(err: AgentServiceError): void {
  expect([err.code, err.reason]).toEqual([Code.ResourceExhausted, "CONCURRENT_RUNS_LIMITED"]);
  expect(err.rawMessage).toContain("concurrent_runs");
  expect(err.rawMessage).toContain(principals.limited);
  expect(err.retryAfterMs).toBeGreaterThan(0);
}

const completedOf = (events: readonly StreamResponse[]) => {
  const last = events.at(-1)?.event;
  return last?.case === "runCompleted" ? last.value.result : undefined;
};

describe("concurrent_runs through the server", () => {
  it("refuses a principal's third run while two run, not another principal's, and admits it again once one finished", async () => {
    const limited = client(keys.limited);
    const other = client(keys.other);

    modelPath.stall();
    const first = openStream(limited, longQuestion);
    const second = openStream(limited, longQuestion);
    await Promise.all([first.started, second.started]);

    // Both hold their places (their model calls wait behind the stalled proxy): a third is refused at once, as Execute or as Stream.
    expectConcurrentRunsLimited(await failure(limited.execute(longQuestion, { bypassCache: true })));
    const refusedStream = openStream(limited, longQuestion);
    expectConcurrentRunsLimited(await failure(refusedStream.done));
    await expect(refusedStream.started).rejects.toBeInstanceOf(AgentServiceError);

    // Another principal is admitted while the first is at its limit.
    const unlimited = openStream(other, longQuestion);
    await unlimited.started;

    modelPath.restore();
    const firstEvents = await first.done;
    const firstResult = completedOf(firstEvents);
    expect(firstResult?.output).toContain("w299");
    // It streamed its long answer, a delta per word.
    expect(firstEvents.filter((event) => event.event.case === "textDelta").length).toBeGreaterThanOrEqual(300);

    // The finished run gave its place back: the principal runs again, with the second one still holding the other place.
    const again = await limited.execute("What is 17 * 23?", { bypassCache: true });
    expect(again.output).toContain("391");

    for (const stream of [second, unlimited]) {
      expect(completedOf(await stream.done)?.output).toContain("w299");
    }
    // Every place is free again: two at once.
    const [x, y] = await Promise.all([limited.execute("What is 2 + 2?", { bypassCache: true }), limited.execute("What is 3 + 3?", { bypassCache: true })]);
    expect([x.output, y.output]).toEqual([expect.stringContaining("4"), expect.stringContaining("6")]);
  });

  it("records a refused run only when it has a key, which a retry can use once a place is free", async () => {
    const limited = client(keys.limited);
    const key = `refused-${randomBytes(8).toString("hex")}`;
    modelPath.stall();
    try {
      const runs = [openStream(limited, longQuestion), openStream(limited, longQuestion)];
      await Promise.all(runs.map((run) => run.started));
      const before = (await limited.listRuns()).runs.length;

      // Without a key: no record, no run id.
      const unkeyed = await failure(limited.execute("What is 2 + 2?", { bypassCache: true, idempotencyKey: "" }));
      expectConcurrentRunsLimited(unkeyed);
      expect(unkeyed.runId).toBeUndefined();
      expect((await limited.listRuns()).runs.length).toBe(before);

      // With a key: its claim recorded the run, which failed with the limit's reason.
      const keyed = await failure(limited.execute("What is 2 + 2?", { bypassCache: true, idempotencyKey: key }));
      expectConcurrentRunsLimited(keyed);
      expect(keyed.runId).toBeDefined();
      const { run } = await limited.getRun(keyed.runId ?? "");
      expect([run?.status, run?.errorCode]).toEqual([RunStatus.FAILED, "CONCURRENT_RUNS_LIMITED"]);

      modelPath.restore();
      await Promise.all(runs.map((run) => run.done));
      // The failed run freed its key: the retry runs.
      expect((await limited.execute("What is 2 + 2?", { bypassCache: true, idempotencyKey: key })).output).toContain("4");
    } finally {
      modelPath.restore();
    }
  });
});
