import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAgentClient } from "../client/index.js";
import { childrenOf, findSpan, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./support/otlp/index.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { startServiceProcess, type ServiceProcess } from "./support/service-process.js";

// The process entry starts the OpenTelemetry SDK, configured by the standard OTEL_* variables:
// the service's own spans and the auto-instrumented Redis and pg calls land in one trace.

const redisUrl = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0";
let database: TestDatabase;
let receiver: OtlpReceiver;
let started: ServiceProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase("process_telemetry");
});
afterAll(async () => {
  await database.drop();
});
afterEach(async () => {
  if (started !== undefined && started.child.exitCode === null && started.child.signalCode === null) {
    started.child.kill("SIGKILL");
    await started.exited;
  }
  started = undefined;
  await receiver.close();
});

/** Starts the real process entry with Redis, PostgreSQL and OTLP export to a receiver of this test's own. */
async function startService(env: Record<string, string>): Promise<string> {
  receiver = await startOtlpReceiver();
  started = startServiceProcess(process.execPath, ["--import", "tsx", "server/main.ts"], {
    LOG_LEVEL: "info",
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "off",
    REDIS_URL: redisUrl,
    DATABASE_URL: database.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: "100",
    OTEL_METRIC_EXPORT_INTERVAL: "3600000",
    ...env,
  });
  return started.listening;
}

/** One run, its input unique so that the model cache has it under a key of its own. */
async function runOnce(url: string): Promise<{ traceId: string; output: string }> {
  const client = createAgentClient({ baseUrl: url, protocol: "connect", retries: 0, timeoutMs: 30_000 });
  try {
    return await client.execute(`Say hello to ${randomBytes(6).toString("hex")}.`);
  } finally {
    client.close();
  }
}

/** SIGTERM, and the exit code once the process has flushed its telemetry and stopped. */
async function stopService(): Promise<number | string | undefined> {
  started?.child.kill("SIGTERM");
  return started?.exited;
}

/** `span`'s ancestors, nearest first, as far as the trace holds them. */
function ancestorsOf(trace: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  for (let parent = trace.find((s) => s.spanId === span.parentSpanId); parent !== undefined; parent = trace.find((s) => s.spanId === parent?.parentSpanId)) {
    chain.push(parent);
  }
  return chain;
}

const fromScope = (trace: readonly ReceivedSpan[], scope: string) => trace.filter((s) => s.scope.name === scope);

describe("the process entry's OpenTelemetry SDK", () => {
  it("puts a run's Redis commands and store queries in its trace, under the run's spans, with OTEL_RESOURCE_ATTRIBUTES on the resource", async () => {
    const url = await startService({ OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test,team=agents", OTEL_METRICS_EXPORTER: "none" });
    const res = await runOnce(url);
    expect(res.output).not.toBe("");

    // The RPC's server span ends last, when its response has been written.
    const spans = await receiver.waitForSpans((all) => all.some((s) => s.traceId === res.traceId && s.kind === "server"), 30_000);
    const trace = spans.filter((s) => s.traceId === res.traceId);
    const server = findSpan(trace, "agent.v1.AgentService/Execute");
    const agent = findSpan(trace, "invoke_agent agent-service");
    expect(server.resource).toMatchObject({ "service.name": "agent-service", "deployment.environment.name": "test", team: "agents" });

    // The cache looks the turn up in Redis, inside the run.
    const redis = fromScope(trace, "@opentelemetry/instrumentation-ioredis");
    expect(redis.map((s) => s.name)).toContain("get");
    for (const command of redis) {
      expect(ancestorsOf(trace, command).map((s) => s.spanId)).toContain(agent.spanId);
    }

    // The idempotency key's claim is a span of the RPC's, its SQL as pg spans under it.
    const claim = findSpan(trace, "store.claim_idempotency_key");
    expect(claim.parentSpanId).toBe(server.spanId);
    const queries = fromScope(trace, "@opentelemetry/instrumentation-pg");
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(ancestorsOf(trace, query).map((s) => s.spanId)).toContain(claim.spanId);
    }

    // The model's HTTP call is the service's own client span under `chat`, and no instrumentation repeats it.
    const chat = findSpan(trace, "chat sim-small");
    expect(childrenOf(trace, chat).map((s) => [s.name, s.scope.name])).toEqual([["POST", "agent-service"]]);
    expect([...fromScope(trace, "@opentelemetry/instrumentation-http"), ...fromScope(trace, "@opentelemetry/instrumentation-undici")]).toEqual([]);
    expect(await stopService()).toBe(0);
  }, 120_000);

  it("exports no span with OTEL_TRACES_SAMPLER=traceidratio and OTEL_TRACES_SAMPLER_ARG=0, while its metrics reach the same receiver", async () => {
    const url = await startService({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" });
    const res = await runOnce(url);
    // Unsampled spans still carry W3C ids, so the response names its trace.
    expect(res.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    // The shutdown exports whatever is pending, spans and metrics alike, before the process exits.
    expect(await stopService()).toBe(0);
    expect(receiver.requests("metrics")).toBeGreaterThan(0);
    expect(receiver.requests("traces")).toBe(0);
  }, 120_000);

  it("exports nothing with OTEL_SDK_DISABLED=true, and the service still serves", async () => {
    const url = await startService({ OTEL_SDK_DISABLED: "true" });
    const res = await runOnce(url);
    expect(res.output).not.toBe("");
    expect(res.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(await stopService()).toBe(0);
    expect(receiver.requests("traces")).toBe(0);
    expect(receiver.requests("metrics")).toBe(0);
  }, 120_000);
});
