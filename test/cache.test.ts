import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CacheTierState, createAgentClient, type AgentClient, type ExecuteResponse } from "../client/index.js";
import { loadConfig } from "../server/config.js";
import { createLogger } from "../server/logger.js";
import { testRedisAddress, viaProxy } from "../server/model/cache/testing/test-redis.js";
import { startAgentService, type RunningAgentService } from "../server/service.js";
import { createSimulator, type Simulator } from "../server/simulator/index.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { storeTemplate } from "./support/test-service.js";

const modelCalls = (res: ExecuteResponse) =>
  res.steps.flatMap((s) => (s.kind.case === "modelCall" ? [s.kind.value] : []));

/** Replicas of the service, all pointed at one simulator, as behind a load balancer. */
async function startReplica(simulator: Simulator, env: Record<string, string> = {}): Promise<RunningAgentService> {
  const config = loadConfig({
    AGENT_DATA_DIR: "memory://",
    PORT: "0",
    METRICS_PORT: "0",
    OPENAI_BASE_URL: simulator.url,
    AGENT_MODELS: "sim-small,sim-large",
    ...env,
  });
  return startAgentService(config, { logger: createLogger({ level: "silent" }), pgliteTemplate: storeTemplate() });
}

let simulator: Simulator;
const running: { service: RunningAgentService; client: AgentClient }[] = [];
async function replica(env: Record<string, string> = {}) {
  const service = await startReplica(simulator, env);
  const client = createAgentClient({ baseUrl: service.url, protocol: "grpc" });
  running.push({ service, client });
  return { service, client };
}

beforeAll(async () => {
  simulator = await createSimulator();
});
afterEach(async () => {
  for (const { service, client } of running.splice(0)) {
    client.close();
    await service.shutdown(0);
  }
  simulator.resetStats();
  simulator.clearFaults();
});
afterAll(() => simulator.close());

// Every test asks something no other test (or earlier run, through Redis) asked.
const unique = (task: string) => `${task} (${Math.random().toString(36).slice(2)})`;

describe("the response cache, in memory", () => {
  it("answers a repeated identical request without calling the model, at no cost", async () => {
    const { client } = await replica();
    const task = unique("What is 17 * 23?");
    const first = await client.execute(task);
    const calls = simulator.stats().requests;
    expect(calls).toBe(2);

    const second = await client.execute(task);
    expect(simulator.stats().requests).toBe(calls);
    expect(second.output).toBe(first.output);
    expect(modelCalls(second).every((c) => c.cached && c.costUsd === 0 && c.attempt === 0)).toBe(true);
    expect(second.costUsd).toBe(0);
    expect(second.usage?.totalTokens).toBe(0);
    // The tool still runs: only model turns are cached.
    expect(second.steps.some((s) => s.kind.case === "toolCall" && s.kind.value.result === "391")).toBe(true);
  });

  it("calls the model when the request opts out", async () => {
    const { client } = await replica();
    const task = unique("Hello there");
    await client.execute(task);
    const res = await client.execute(task, { bypassCache: true });
    expect(simulator.stats().requests).toBe(2);
    expect(modelCalls(res)[0]?.cached).toBe(false);
  });

  it("makes one upstream call for 50 concurrent identical requests", async () => {
    // A slow first token keeps the first call in flight while the others arrive.
    simulator.setFaults([{ kind: "slow-first-token", delayMs: 200, times: 1 }]);
    const { client } = await replica();
    const task = unique("Hello there");
    const results = await Promise.all(Array.from({ length: 50 }, () => client.execute(task)));
    expect(simulator.stats().requests).toBe(1);
    expect(new Set(results.map((r) => r.output)).size).toBe(1);
    expect(results.filter((r) => !modelCalls(r)[0]?.cached)).toHaveLength(1);
  });

  it("is off with AGENT_CACHE=off", async () => {
    const { client } = await replica({ AGENT_CACHE: "off" });
    const task = unique("Hello there");
    await client.execute(task);
    await client.execute(task);
    expect(simulator.stats().requests).toBe(2);
    expect((await client.health()).cache?.l2State).toBe(CacheTierState.DISABLED);
  });
});

describe("the response cache, shared through Redis", () => {
  // A real Redis server; CI starts one. The proxy lets a test take it away and bring it back.
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(testRedisAddress());
  });
  afterEach(() => proxy.restore());
  afterAll(() => proxy.close());

  it("answers a second replica from Redis without calling the model", async () => {
    const a = await replica({ REDIS_URL: viaProxy(proxy.port) });
    const b = await replica({ REDIS_URL: viaProxy(proxy.port) });
    await expect.poll(async () => (await b.client.health()).cache?.l2State).toBe(CacheTierState.READY);
    const task = unique("Hello there");
    await a.client.execute(task);
    expect(simulator.stats().requests).toBe(1);
    const res = await b.client.execute(task);
    expect(simulator.stats().requests).toBe(1);
    expect(modelCalls(res)[0]?.cached).toBe(true);
  });

  it("degrades to memory without failing a run when Redis goes away, and recovers", async () => {
    const { client } = await replica({ REDIS_URL: viaProxy(proxy.port) });
    await expect.poll(async () => (await client.health()).cache?.l2State).toBe(CacheTierState.READY);

    proxy.cut();
    const task = unique("Hello there");
    const first = await client.execute(task);
    expect(first.output).not.toBe("");
    const again = await client.execute(task);
    expect(modelCalls(again)[0]?.cached).toBe(true);
    expect(simulator.stats().requests).toBe(1);
    expect((await client.health()).cache?.l2State).toBe(CacheTierState.DEGRADED);

    proxy.restore();
    await expect.poll(async () => (await client.health()).cache?.l2State, { timeout: 10_000 }).toBe(CacheTierState.READY);
    const later = await client.execute(unique("Hello there"));
    expect(later.output).not.toBe("");
  });

  it("answers within its Redis timeout when Redis stalls", async () => {
    const { client, service } = await replica({ REDIS_URL: viaProxy(proxy.port), AGENT_CACHE_REDIS_TIMEOUT_MS: "50" });
    await expect.poll(async () => (await client.health()).cache?.l2State).toBe(CacheTierState.READY);
    proxy.stall();
    const res = await client.execute(unique("Hello there"), { timeoutMs: 5_000 });
    expect(res.output).not.toBe("");
    // The lookup gave up on Redis (counted as an L2 error) instead of waiting for it.
    const metrics = await (await fetch(service.metricsUrl ?? "")).text();
    expect(metrics).toMatch(/^agent_cache_l2_errors_total\{agent_cache_operation="get"[^}]*\} [1-9]/m);
    expect((await client.health()).cache?.l2State).toBe(CacheTierState.DEGRADED);
  });
});
