import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { once } from "node:events";
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AgentService, CircuitState } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { HealthCheckResponse_ServingStatus as Serving, Health } from "../gen/grpc/health/v1/health_pb.js";
import { loadConfig } from "../server/config.js";
import { createLogger } from "../server/logger.js";
import { startAgentService, type RunningAgentService } from "../server/service.js";
import { createSimulator, type Simulator } from "../server/simulator/index.js";
import { storeTemplate } from "./support/test-service.js";

/** A loopback port where nothing listens: one the OS just handed out and took back. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  if (address === null || typeof address === "string") {
    throw new Error("no TCP port");
  }
  return address.port;
}

interface Running {
  readonly service: RunningAgentService;
  readonly logs: Record<string, unknown>[];
  readonly agent: Client<typeof AgentService>;
  readonly health: Client<typeof Health>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** The real service with both models at `port`, the way a deployment points OPENAI_BASE_URL at a provider. */
async function serviceAt(port: number, env: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig({
    AGENT_DATA_DIR: "memory://",
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
    OPENAI_API_KEY: "sk-test-secret-key-never-logged",
    AGENT_MODELS: "sim-small,sim-large",
    AGENT_CACHE: "off",
    AGENT_MODEL_MAX_RETRIES: "1",
    AGENT_RETRY_INITIAL_BACKOFF_MS: "1",
    AGENT_RETRY_MAX_BACKOFF_MS: "1",
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const service = await startAgentService(config, { logger, pgliteTemplate: storeTemplate() });
  cleanups.push(() => service.shutdown(0));
  const transport = createGrpcTransport({ baseUrl: service.url });
  return { service, logs, agent: createClient(AgentService, transport), health: createClient(Health, transport) };
}

/** Starts collecting grpc.health.v1 Watch updates; `until` resolves once one satisfies the predicate. */
function watchHealth(health: Client<typeof Health>) {
  const statuses: Serving[] = [];
  const watching = new AbortController();
  const waiters: { predicate: (s: Serving[]) => boolean; resolve: () => void }[] = [];
  const loop = (async () => {
    try {
      for await (const update of health.watch({ service: "" }, { signal: watching.signal })) {
        statuses.push(update.status);
        for (const waiter of waiters.filter((w) => w.predicate(statuses))) {
          waiter.resolve();
        }
      }
    } catch (err) {
      if (!watching.signal.aborted) {
        throw err;
      }
    }
  })();
  cleanups.push(async () => {
    watching.abort();
    await loop;
  });
  return {
    statuses,
    until: (predicate: (s: Serving[]) => boolean) =>
      predicate(statuses) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ predicate, resolve })),
  };
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call was expected to fail");
}

describe("a provider that refuses connections", () => {
  it("is retried, reported UNAVAILABLE (not MODELS_REJECTED_REQUEST), opens both breakers and NOT_SERVING, and recovers after the cool-down", async () => {
    // Regression: with OPENAI_BASE_URL at a closed port every run ended INTERNAL
    // MODELS_REJECTED_REQUEST without a retry, the breakers stayed closed at an
    // error rate of 1.0 and health stayed SERVING: the connection error's
    // `name` is plain "Error", and the classifier matched on names.
    const port = await freePort();
    const { agent, health, logs } = await serviceAt(port, {
      AGENT_BREAKER_THRESHOLD: "2",
      AGENT_BREAKER_HALF_OPEN_AFTER_MS: "1500",
    });
    const watch = watchHealth(health);
    await watch.until((s) => s.includes(Serving.SERVING));

    const err = await failure(agent.execute({ input: "Hello there" }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.findDetails(ErrorDetailSchema)[0]?.reason).toBe("MODELS_UNAVAILABLE");
    expect(err.rawMessage).toMatch(/sim-small \(.*connection refused.*sim-large \(.*connection refused/);

    // Each model was retried once: two attempts each, so both reached the breaker's threshold.
    expect(logs.filter((l) => l["msg"] === "retrying sim-small")).toHaveLength(1);
    expect(logs.filter((l) => l["msg"] === "retrying sim-large")).toHaveLength(1);
    expect(logs.find((l) => l["msg"] === "retrying sim-small")?.["reason"]).toBe("connection refused");
    const open = await agent.health({});
    expect(open.models.map((m) => [m.name, m.circuitState, m.recentErrorRate])).toEqual([
      ["sim-small", CircuitState.OPEN, 1],
      ["sim-large", CircuitState.OPEN, 1],
    ]);
    await watch.until((s) => s.includes(Serving.NOT_SERVING));
    expect((await health.check({ service: "agent.v1.AgentService" })).status).toBe(Serving.NOT_SERVING);

    // The provider comes up at the same address; after the cool-down the replica serves again.
    const provider = await createSimulator({ port, models: ["sim-small", "sim-large"] });
    cleanups.push(() => provider.close());
    await watch.until((s) => s.lastIndexOf(Serving.SERVING) > s.indexOf(Serving.NOT_SERVING));
    expect(watch.statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING, Serving.SERVING]);

    const res = await agent.execute({ input: "Hello there" });
    expect(res.model).toBe("sim-small");
    expect(res.output).toContain("Hello there");
    expect((await agent.health({})).models[0]?.circuitState).toBe(CircuitState.CLOSED);
    expect((await health.check({ service: "agent.v1.AgentService" })).status).toBe(Serving.SERVING);
  });
});

describe("a provider killed while runs are in flight", () => {
  it("ends the runs UNAVAILABLE, never INTERNAL", async () => {
    // Regression: a reset mid-body is a bare TypeError("terminated") and a
    // refused reconnect an Error named "Error"; both were "rejected requests".
    const port = await freePort();
    let provider: Simulator | undefined = await createSimulator({ port, models: ["sim-small", "sim-large"], chunkDelayMs: 20 });
    cleanups.push(async () => provider?.close());
    const { agent } = await serviceAt(port);

    const requested = once(provider.events, "request");
    const runs = [0, 1, 2].map(async (index) => {
      const events: string[] = [];
      try {
        for await (const event of agent.stream({ input: `Tell me about run number ${index}, at length` })) {
          events.push(event.event.case ?? "");
        }
      } catch (err) {
        return { events, error: ConnectError.from(err) };
      }
      return { events, error: undefined };
    });
    // Kill the provider once it is answering: every run is in flight.
    await requested;
    const killed = provider;
    provider = undefined;
    await killed.close();

    for (const { events, error } of await Promise.all(runs)) {
      expect(events[0]).toBe("runStarted");
      expect(error?.code).toBe(Code.Unavailable);
      expect(error?.findDetails(ErrorDetailSchema)[0]?.reason).toBe("MODELS_UNAVAILABLE");
    }
  });
});
