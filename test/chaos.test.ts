// Chaos under load: providers refusing connections, hung, reset mid-stream,
// killed and restarted; Redis cut and restored. Each test asserts what every
// caller saw, then what the service reports (Health, grpc.health.v1, breaker
// states, metrics, logs), then that it recovers once the fault is gone.
import { afterEach, describe, expect, it } from "vitest";
import { CacheTierState, CircuitState, ServingStatus, type ExecuteResponse } from "../client/index.js";
import { HealthCheckResponse_ServingStatus as Serving } from "../gen/grpc/health/v1/health_pb.js";
import { testRedisAddress, testRedisUrl, viaProxy } from "../server/model/cache/testing/test-redis.js";
import { createSimulator, type Simulator, type SimulatorOptions } from "../server/simulator/index.js";
import {
  calculatorTask,
  greetingTask,
  planCallers,
  problems,
  restartMarkers,
  runCallers,
  verdicts,
  type CallerOutcome,
  type Task,
} from "./support/chaos/callers.js";
import { startChaosService, type ChaosModel, type ChaosService } from "./support/chaos/chaos-service.js";
import { scrape } from "./support/chaos/prometheus.js";
import { startRefusingPort } from "./support/chaos/refusing-port.js";
import { requestsArrived, waitFor } from "./support/chaos/wait-for.js";
import { startTcpProxy } from "./support/tcp-proxy.js";

/**
 * `error.type` values of a refused, reset or dropped provider connection: the
 * system or undici error code, never the plain `Error` or `TypeError` the
 * OpenAI SDK and undici throw, which say nothing on a dashboard. Which one a
 * call gets depends on where the break finds it (a new connection is
 * refused, a pooled or streaming one is reset or closed).
 */
const connectionErrorTypes = ["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"];
/** `error.type` of an attempt cut by its own timeout. */
const attemptTimeout = "timeout";
/** What Health and the retry log say about such a connection. */
const connectionFailure = /^connection (refused|reset|closed by the provider)$/;
const connectionFailureInMessage = "connection (?:refused|reset|closed by the provider)";

/** Expects `labels` to be connection failures only, at least one, with at least those in `including`. */
function expectConnectionErrorTypes(labels: readonly string[], including: readonly string[] = []) {
  expect(labels.filter((label) => !connectionErrorTypes.includes(label))).toEqual([]);
  expect(labels.length).toBeGreaterThan(0);
  expect(labels).toEqual(expect.arrayContaining([...including]));
}

const coolDownMs = 3_000;
/**
 * One retry, almost no backoff, breakers that open after three faults and
 * probe after `coolDownMs`: a fault shows in every signal within a load of a
 * few dozen runs, and recovery within seconds.
 */
const knobs = {
  AGENT_MODEL_MAX_RETRIES: "1",
  AGENT_RETRY_INITIAL_BACKOFF_MS: "1",
  AGENT_RETRY_MAX_BACKOFF_MS: "5",
  AGENT_BREAKER_THRESHOLD: "3",
  AGENT_BREAKER_HALF_OPEN_AFTER_MS: String(coolDownMs),
};
const callers = 24;
const unavailable = "Unavailable MODELS_UNAVAILABLE";
const modelCallCount = "gen_ai_client_operation_duration_count";

// Everything a test started, closed in reverse order after it.
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});
async function started<T extends { close(): Promise<unknown> }>(resource: Promise<T>): Promise<T> {
  const ready = await resource;
  cleanups.push(() => ready.close());
  return ready;
}
const simulator = (options: SimulatorOptions = {}) => started(createSimulator(options));
const service = (models: readonly ChaosModel[], env: Record<string, string> = knobs) => started(startChaosService(models, env));
const both = (baseUrl: string): ChaosModel[] => [
  { name: "sim-small", baseUrl },
  { name: "sim-large", baseUrl },
];

/** Alternates two-turn tool tasks and one-turn text tasks. */
const mixedTask = (index: number): Task => (index % 2 === 0 ? calculatorTask() : greetingTask());
const turnsOf = (outcomes: readonly CallerOutcome[]) => outcomes.reduce((turns, { plan }) => turns + plan.task.turns, 0);
const rpcCount = (outcomes: readonly CallerOutcome[], rpc: "execute" | "stream") =>
  outcomes.filter(({ plan }) => (rpc === "execute" ? plan.rpc === "execute" : plan.rpc !== "execute")).length;

const circuits = async (chaos: ChaosService) => (await chaos.clients.grpc.health()).models.map((m) => [m.name, m.circuitState]);
const grpcServing = async (chaos: ChaosService) => [
  (await chaos.grpcHealth.check({ service: "" })).status,
  (await chaos.grpcHealth.check({ service: "agent.v1.AgentService" })).status,
];
/** Breaker transitions of `model` the service logged, in order. */
const transitions = (chaos: ChaosService, model: string) =>
  chaos.logged(new RegExp(`^circuit breaker of ${model} is `)).map((msg) => msg.slice(`circuit breaker of ${model} is `.length));
const retryReasons = (chaos: ChaosService, model: string) =>
  chaos.logs.filter((line) => line["msg"] === `retrying ${model}`).map((line) => line["reason"]);

/** Follows grpc.health.v1 Watch for the whole server, as a load balancer does. */
function watchServing(chaos: ChaosService) {
  const statuses: Serving[] = [];
  const watching = new AbortController();
  const done = (async () => {
    try {
      for await (const update of chaos.grpcHealth.watch({ service: "" }, { signal: watching.signal })) {
        statuses.push(update.status);
      }
    } catch (err) {
      // The abort below ends it; anything else is the test's failure.
      if (!watching.signal.aborted) {
        throw err;
      }
    }
  })();
  cleanups.push(async () => {
    watching.abort();
    await done;
  });
  return statuses;
}

/**
 * After the fault is gone: every listed model's breaker half-opens once its
 * cool-down is over, one run probes the primary and closes its breaker, and
 * a load of new runs is answered by the primary again.
 */
async function expectRecovery(chaos: ChaosService, halfOpen: readonly string[]) {
  await waitFor(
    `${halfOpen.join(" and ")} to half-open`,
    async () => (await circuits(chaos)).every(([name, state]) => !halfOpen.includes(String(name)) || state === CircuitState.HALF_OPEN),
    { timeoutMs: coolDownMs * 5 },
  );
  const probe = calculatorTask();
  const probed = await chaos.clients.connect.execute(probe.input);
  expect(probed).toMatchObject({ output: probe.output, model: "sim-small", fallbackUsed: false });
  expect((await circuits(chaos))[0]).toEqual(["sim-small", CircuitState.CLOSED]);
  expect(transitions(chaos, "sim-small").slice(-2)).toEqual(["half-open", "closed"]);
  expect(await grpcServing(chaos)).toEqual([Serving.SERVING, Serving.SERVING]);
  expect((await scrape(chaos.service.metricsUrl)).sum("agent_model_breaker_state", { gen_ai_request_model: "sim-small" })).toBe(0);

  const after = await runCallers(chaos, planCallers(8, mixedTask));
  expect(verdicts(after)).toEqual({ "answered by sim-small": 8 });
  expect(problems(after)).toEqual([]);
}

describe("the primary provider refusing connections", () => {
  it("answers every caller from the fallback, opens the primary's breaker, keeps serving, and recovers", async () => {
    const provider = await simulator();
    const primary = await started(startRefusingPort({ host: "127.0.0.1", port: provider.port }));
    const chaos = await service([
      { name: "sim-small", baseUrl: primary.url },
      { name: "sim-large", baseUrl: provider.url },
    ]);
    // A healthy run first, so the pooled keep-alive connections to the primary are reset too.
    expect((await chaos.clients.grpc.execute("Hello there")).model).toBe("sim-small");

    await primary.refuse();
    const outcomes = await runCallers(chaos, planCallers(callers, mixedTask));

    expect(verdicts(outcomes)).toEqual({ "answered by sim-large after fallback": callers });
    expect(problems(outcomes)).toEqual([]);
    // A refused connection is transient: retried before falling back.
    expect(retryReasons(chaos, "sim-small").length).toBeGreaterThan(0);
    expect(retryReasons(chaos, "sim-small").filter((reason) => !connectionFailure.test(String(reason)))).toEqual([]);

    const health = await chaos.clients.grpc.health();
    expect(health.status).toBe(ServingStatus.SERVING);
    expect(health.models[0]).toMatchObject({ name: "sim-small", circuitState: CircuitState.OPEN, lastError: expect.stringMatching(connectionFailure) });
    expect(health.models[1]).toMatchObject({ name: "sim-large", circuitState: CircuitState.CLOSED, lastError: "" });
    expect(await grpcServing(chaos)).toEqual([Serving.SERVING, Serving.SERVING]);
    expect(transitions(chaos, "sim-small")[0]).toBe("open");

    const metrics = await scrape(chaos.service.metricsUrl);
    const small = { gen_ai_request_model: "sim-small" };
    expectConnectionErrorTypes(metrics.labelValues(modelCallCount, "error_type", { ...small, agent_outcome: "error" }), ["ECONNREFUSED"]);
    expect(metrics.sum(modelCallCount, { ...small, agent_outcome: "error" })).toBeGreaterThanOrEqual(3);
    expect(metrics.sum(modelCallCount, { ...small, agent_outcome: "circuit_open" })).toBeGreaterThan(0);
    expect(metrics.sum(modelCallCount, { gen_ai_request_model: "sim-large", agent_outcome: "ok" })).toBe(turnsOf(outcomes));
    expect(metrics.sum(modelCallCount, { gen_ai_request_model: "sim-large", agent_outcome: "error" })).toBe(0);
    expect(metrics.sum("agent_model_breaker_state", small)).toBe(2);
    expect(metrics.sum("agent_model_breaker_state", { gen_ai_request_model: "sim-large" })).toBe(0);
    expect(metrics.labelValues("rpc_server_requests_total", "rpc_status_code", { rpc_method: "agent.v1.AgentService/Execute" })).toEqual(["ok"]);
    expect(metrics.labelValues("rpc_server_requests_total", "rpc_status_code", { rpc_method: "agent.v1.AgentService/Stream" })).toEqual(["ok"]);

    await primary.restore();
    await expectRecovery(chaos, ["sim-small"]);
  });
});

describe("every provider refusing connections", () => {
  it("fails every caller fast with UNAVAILABLE, reports NOT_SERVING while all breakers are open, and serves again after the cool-down", async () => {
    const provider = await simulator();
    const port = await started(startRefusingPort({ host: "127.0.0.1", port: provider.port }));
    const chaos = await service(both(port.url));
    const statuses = watchServing(chaos);
    expect((await chaos.clients.grpc.execute("Hello there")).model).toBe("sim-small");

    await port.refuse();
    const outcomes = await runCallers(chaos, planCallers(callers, mixedTask));

    expect(verdicts(outcomes)).toEqual({ [unavailable]: callers });
    expect(problems(outcomes)).toEqual([]);
    for (const { error } of outcomes) {
      const failure = `(?:${connectionFailureInMessage}|circuit open: too many recent failures)`;
      expect(error?.rawMessage).toMatch(new RegExp(`^no model could answer: sim-small \\(${failure}\\), sim-large \\(${failure}\\); retry later$`));
      expect(error?.traceId).toMatch(/^[0-9a-f]{32}$/);
    }

    const health = await chaos.clients.grpc.health();
    expect(health.status).toBe(ServingStatus.NOT_SERVING);
    expect(health.models.map((m) => [m.name, m.circuitState, m.lastError])).toEqual([
      ["sim-small", CircuitState.OPEN, expect.stringMatching(connectionFailure)],
      ["sim-large", CircuitState.OPEN, expect.stringMatching(connectionFailure)],
    ]);
    expect(await grpcServing(chaos)).toEqual([Serving.NOT_SERVING, Serving.NOT_SERVING]);
    await waitFor("Watch to push NOT_SERVING", () => statuses.includes(Serving.NOT_SERVING));
    expect(statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING]);

    const metrics = await scrape(chaos.service.metricsUrl);
    for (const model of ["sim-small", "sim-large"]) {
      const labels = { gen_ai_request_model: model };
      expectConnectionErrorTypes(metrics.labelValues(modelCallCount, "error_type", { ...labels, agent_outcome: "error" }), ["ECONNREFUSED"]);
      expect(metrics.sum(modelCallCount, { ...labels, agent_outcome: "error" })).toBeGreaterThanOrEqual(3);
      expect(metrics.sum("agent_model_breaker_state", labels)).toBe(2);
    }
    const rpc = (method: string, code: string) =>
      metrics.sum("rpc_server_requests_total", { rpc_method: `agent.v1.AgentService/${method}`, rpc_status_code: code });
    expect(rpc("Execute", "unavailable")).toBe(rpcCount(outcomes, "execute"));
    expect(rpc("Stream", "unavailable")).toBe(rpcCount(outcomes, "stream"));
    expect(metrics.labelValues("rpc_server_requests_total", "rpc_status_code").filter((code) => code !== "ok" && code !== "unavailable")).toEqual([]);
    expect(metrics.sum("agent_run_duration_count", { agent_stop_reason: "error" })).toBe(callers);

    // With every breaker open no call reaches the providers; after the cool-down the replica says SERVING by itself.
    await port.restore();
    await waitFor("Watch to push SERVING after the cool-down", () => statuses.length === 3, { timeoutMs: coolDownMs * 5 });
    expect(statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING, Serving.SERVING]);
    await expectRecovery(chaos, ["sim-small", "sim-large"]);
  });
});

describe("a hung primary", () => {
  it("times each attempt out, answers every caller from the fallback within its deadline, and lets go of every hung request", async () => {
    const provider = await simulator({ faults: [{ kind: "hang", model: "sim-small" }] });
    // Only the primary's attempts are cut short: the whole load lands on the fallback at
    // once, and a tight timeout there would open its breaker too.
    const chaos = await service([
      { name: "sim-small", baseUrl: provider.url, attemptTimeoutMs: 300 },
      { name: "sim-large", baseUrl: provider.url },
    ]);

    const outcomes = await runCallers(chaos, planCallers(callers, mixedTask), { timeoutMs: 20_000 });

    expect(verdicts(outcomes)).toEqual({ "answered by sim-large after fallback": callers });
    expect(problems(outcomes)).toEqual([]);
    // No hung HTTP request is left behind on the provider.
    await waitFor("every hung request to be aborted", () => {
      const stats = provider.stats();
      return stats.abortedByModel["sim-small"] === stats.byModel["sim-small"];
    });
    expect(new Set(retryReasons(chaos, "sim-small"))).toEqual(new Set(["timed out after 300 ms"]));

    const health = await chaos.clients.grpc.health();
    expect(health.status).toBe(ServingStatus.SERVING);
    expect(health.models[0]).toMatchObject({ name: "sim-small", circuitState: CircuitState.OPEN, lastError: "timed out after 300 ms" });
    expect(health.models[1]).toMatchObject({ name: "sim-large", circuitState: CircuitState.CLOSED });
    expect(await grpcServing(chaos)).toEqual([Serving.SERVING, Serving.SERVING]);

    const metrics = await scrape(chaos.service.metricsUrl);
    const small = { gen_ai_request_model: "sim-small" };
    expect(metrics.labelValues(modelCallCount, "error_type", { ...small, agent_outcome: "error" })).toEqual([attemptTimeout]);
    // Every attempt the provider saw was counted, as a timeout; on a loaded machine an attempt can
    // also time out before its request reaches the provider, so the count may be higher.
    expect(metrics.sum(modelCallCount, { ...small, agent_outcome: "error" })).toBeGreaterThanOrEqual(provider.stats().byModel["sim-small"] ?? 0);
    expect(metrics.sum(modelCallCount, { ...small, agent_outcome: "circuit_open" })).toBeGreaterThan(0);
    expect(metrics.sum("agent_model_breaker_state", small)).toBe(2);
    expect(metrics.labelValues("rpc_server_requests_total", "rpc_status_code")).toEqual(["ok"]);

    provider.clearFaults();
    await expectRecovery(chaos, ["sim-small"]);
  });
});

describe("a primary that resets its streams", () => {
  it("restarts every streamed answer on the fallback with a marker, and Stream text equals the final answer", async () => {
    const provider = await simulator({ faults: [{ kind: "cut-stream", model: "sim-small" }] });
    // A breaker that stays closed, so every run meets the cut and shows its restart.
    const chaos = await service(both(provider.url), { ...knobs, AGENT_BREAKER_THRESHOLD: "1000" });

    const outcomes = await runCallers(chaos, planCallers(callers, () => greetingTask()));

    expect(verdicts(outcomes)).toEqual({ "answered by sim-large after fallback": callers });
    expect(problems(outcomes)).toEqual([]);
    for (const { plan, events } of outcomes.filter((o) => o.plan.rpc !== "execute")) {
      expect(restartMarkers(events), `caller ${plan.index}`).toEqual([
        expect.objectContaining({ failedModel: "sim-small", nextModel: "sim-large", reason: "connection reset mid-stream" }),
      ]);
      const kinds = events.map((e) => e.event.case);
      if (plan.rpc === "stream-live") {
        // Live deltas show the torn text, then the marker.
        expect(kinds.indexOf("textDelta"), `caller ${plan.index}`).toBeLessThan(kinds.indexOf("stepRestarted"));
      } else {
        // The SDK's buffered text never shows it.
        expect(kinds.indexOf("textDelta"), `caller ${plan.index}`).toBeGreaterThan(kinds.indexOf("stepRestarted"));
      }
    }
    // Text had reached the caller: no retry on the same model, one call each.
    expect(provider.stats().byModel).toEqual({ "sim-small": callers, "sim-large": callers });

    const health = await chaos.clients.grpc.health();
    expect(health.models[0]).toMatchObject({
      name: "sim-small",
      circuitState: CircuitState.CLOSED,
      recentCalls: callers,
      recentErrorRate: 1,
      lastError: "connection reset",
    });
    expect(await grpcServing(chaos)).toEqual([Serving.SERVING, Serving.SERVING]);
    const metrics = await scrape(chaos.service.metricsUrl);
    const small = { gen_ai_request_model: "sim-small", agent_outcome: "error" };
    expect(metrics.labelValues(modelCallCount, "error_type", small)).toEqual(["ECONNRESET"]);
    expect(metrics.sum(modelCallCount, small)).toBe(callers);
    expect(metrics.labelValues("rpc_server_requests_total", "rpc_status_code")).toEqual(["ok"]);

    provider.clearFaults();
    const after = await runCallers(chaos, planCallers(8, () => greetingTask()));
    expect(verdicts(after)).toEqual({ "answered by sim-small": 8 });
    expect(problems(after)).toEqual([]);
    expect(after.flatMap((o) => restartMarkers(o.events))).toEqual([]);
  });

  // Regression: a reset before any text (a tool-call turn) surfaced as a bare
  // undici `TypeError: terminated`, which the classifier took for a rejected
  // request: never retried, never counted by the breaker, INTERNAL when every model did it.
  it("retries a stream reset before any text on the same model", async () => {
    const provider = await simulator({ faults: [{ kind: "cut-stream", model: "sim-small", times: 1 }] });
    const chaos = await service(both(provider.url));
    const task = calculatorTask();

    const res = await chaos.clients.grpc.execute(task.input);

    expect(res).toMatchObject({ output: task.output, model: "sim-small", fallbackUsed: false });
    expect(firstModelCall(res)).toMatchObject({ model: "sim-small", attempt: 2 });
    expect(retryReasons(chaos, "sim-small")).toEqual(["connection reset"]);
  });

  it("answers UNAVAILABLE, never INTERNAL, when every model resets before any text", async () => {
    const provider = await simulator({ faults: [{ kind: "cut-stream" }] });
    const chaos = await service(both(provider.url));

    const outcomes = await runCallers(chaos, planCallers(8, () => calculatorTask()));

    expect(verdicts(outcomes)).toEqual({ [unavailable]: 8 });
    const metrics = await scrape(chaos.service.metricsUrl);
    expect(metrics.labelValues(modelCallCount, "error_type", { agent_outcome: "error" })).toEqual(["ECONNRESET"]);
    expect(metrics.labelValues("rpc_server_requests_total", "rpc_status_code")).toEqual(["unavailable"]);
  });
});

describe("the primary provider killed under load and restarted", () => {
  it("moves the runs in flight and the ones after to the fallback, opens the breaker, and closes it once the provider is back on its port", async () => {
    // Calls stream slowly and the first few hang, so the kill finds calls in
    // flight both before and after their first byte.
    const hung = 6;
    const slow: SimulatorOptions = { models: ["sim-small"], chunkDelayMs: 5 };
    let primary: Simulator = await createSimulator({ ...slow, faults: [{ kind: "hang", times: hung }] });
    cleanups.push(() => primary.close());
    const fallback = await simulator({ models: ["sim-large"] });
    const chaos = await service([
      { name: "sim-small", baseUrl: primary.url },
      { name: "sim-large", baseUrl: fallback.url },
    ]);

    const inFlight = requestsArrived(primary, hung + 4);
    const load = runCallers(chaos, planCallers(callers, mixedTask));
    await inFlight;
    await primary.close();
    const outcomes = await load;

    const seen = verdicts(outcomes);
    expect(Object.keys(seen).filter((v) => v !== "answered by sim-small" && v !== "answered by sim-large after fallback")).toEqual([]);
    expect(seen["answered by sim-large after fallback"]).toBeGreaterThanOrEqual(hung);
    expect(problems(outcomes)).toEqual([]);

    const health = await chaos.clients.grpc.health();
    expect(health.status).toBe(ServingStatus.SERVING);
    expect(health.models[0]).toMatchObject({ name: "sim-small", circuitState: CircuitState.OPEN, lastError: expect.stringMatching(connectionFailure) });
    expect(health.models[1]).toMatchObject({ name: "sim-large", circuitState: CircuitState.CLOSED });
    expect(await grpcServing(chaos)).toEqual([Serving.SERVING, Serving.SERVING]);
    const metrics = await scrape(chaos.service.metricsUrl);
    const small = { gen_ai_request_model: "sim-small" };
    // Calls in flight lose their connection (reset before the response, closed mid-body);
    // any retried before the breaker opened are refused.
    expectConnectionErrorTypes(metrics.labelValues(modelCallCount, "error_type", { ...small, agent_outcome: "error" }));
    expect(metrics.sum(modelCallCount, { ...small, agent_outcome: "error" })).toBeGreaterThanOrEqual(hung);
    expect(metrics.sum("agent_model_breaker_state", small)).toBe(2);
    expect(metrics.labelValues("rpc_server_requests_total", "rpc_status_code")).toEqual(["ok"]);

    // Restarted on the same port, as a provider's process comes back.
    primary = await createSimulator({ ...slow, port: primary.port });
    await expectRecovery(chaos, ["sim-small"]);
    expect(primary.stats().requests).toBeGreaterThan(0);
  });
});

describe("Redis cut under load", () => {
  it("keeps answering from memory, reports the cache DEGRADED, and shares answers through Redis again once it is back", async () => {
    const provider = await simulator();
    const redis = await started(startTcpProxy(testRedisAddress()));
    // A Redis timeout well above the event-loop lag of this load on two cores: this test is
    // about a cut, seen through the connection, not about a slow Redis (see cache.test.ts).
    const env = { ...knobs, REDIS_URL: viaProxy(redis.port), AGENT_CACHE_REDIS_TIMEOUT_MS: "1000" };
    const chaos = await service(both(provider.url), env);
    const l2State = async () => (await chaos.clients.connect.health()).cache?.l2State;
    await waitFor("the cache to reach Redis", async () => (await l2State()) === CacheTierState.READY);

    const plans = planCallers(2 * callers, mixedTask);
    const inFlight = requestsArrived(provider, 8);
    const before = runCallers(chaos, plans.slice(0, callers));
    await inFlight;
    redis.cut();
    const during = runCallers(chaos, plans.slice(callers));
    const outcomes = [...(await before), ...(await during)];

    expect(verdicts(outcomes)).toEqual({ "answered by sim-small": 2 * callers });
    expect(problems(outcomes)).toEqual([]);
    // Memory still answers a repeat, without a model call.
    const calls = provider.stats().requests;
    const repeat = await chaos.clients.grpc.execute(plans[1]?.task.input ?? "");
    expect(firstModelCall(repeat)?.cached).toBe(true);
    expect(provider.stats().requests).toBe(calls);

    const health = await chaos.clients.grpc.health();
    expect(health.status).toBe(ServingStatus.SERVING);
    expect(health.cache?.l2State).toBe(CacheTierState.DEGRADED);
    expect(await grpcServing(chaos)).toEqual([Serving.SERVING, Serving.SERVING]);
    expect(chaos.logged(/^response cache: redis unavailable/)).toEqual(["response cache: redis unavailable, serving from memory only"]);
    const metrics = await scrape(chaos.service.metricsUrl);
    expect(metrics.sum("agent_cache_lookups_total", { agent_result: "hit", agent_cache_tier: "l1" })).toBeGreaterThan(0);
    expect(metrics.sum(modelCallCount, { agent_outcome: "error" })).toBe(0);
    expect(metrics.labelValues("rpc_server_requests_total", "rpc_status_code")).toEqual(["ok"]);

    redis.restore();
    await waitFor("the cache to reach Redis again", async () => (await l2State()) === CacheTierState.READY, { timeoutMs: 10_000 });
    expect(chaos.logged(/^response cache: redis available again/)).toHaveLength(1);
    // An answer given now is in Redis: another replica gets it without calling the model.
    const shared = greetingTask();
    expect((await chaos.clients.connect.execute(shared.input)).output).toBe(shared.output);
    const replica = await service(both(provider.url), { ...knobs, REDIS_URL: testRedisUrl });
    await waitFor("the replica to reach Redis", async () => (await replica.clients.connect.health()).cache?.l2State === CacheTierState.READY);
    const callsBefore = provider.stats().requests;
    const fromRedis = await replica.clients.connect.execute(shared.input);
    expect(fromRedis.output).toBe(shared.output);
    expect(firstModelCall(fromRedis)?.cached).toBe(true);
    expect(provider.stats().requests).toBe(callsBefore);
    expect((await scrape(replica.service.metricsUrl)).sum("agent_cache_lookups_total", { agent_result: "hit", agent_cache_tier: "l2" })).toBe(1);
  });
});

function firstModelCall(res: ExecuteResponse) {
  return res.steps.flatMap((s) => (s.kind.case === "modelCall" ? [s.kind.value] : []))[0];
}
