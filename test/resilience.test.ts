import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Serving, Health } from "../gen/grpc/health/v1/health_pb.js";
import { AgentServiceError, CircuitState, Code, createAgentClient, StopReason, type StreamResponse } from "../client/index.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../server/config.js";
import { createLogger } from "../server/logger.js";
import { startAgentService } from "../server/service.js";
import { createSimulator } from "../server/simulator/index.js";
import { startTestService, type TestService, storeTemplate } from "./support/test-service.js";

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

describe("retries", () => {
  it("honours Retry-After on a 429 and answers from the primary", async () => {
    svc = await startTestService(
      {},
      { simulator: { faults: [{ kind: "status", status: 429, retryAfterSeconds: 1, model: "sim-small", times: 1 }] } },
    );
    const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc", retries: 0 });
    try {
      const started = performance.now();
      const res = await client.execute("Hello there");
      expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(res.model).toBe("sim-small");
      expect(res.fallbackUsed).toBe(false);
      const turn = res.steps[0]?.kind;
      expect(turn?.case === "modelCall" && turn.value.attempt).toBe(2);
      expect(svc.simulator.stats().byModel).toEqual({ "sim-small": 2 });
      expect(svc.logs.some((l) => l["msg"] === "retrying sim-small" && l["delay_ms"] === 1000)).toBe(true);
    } finally {
      client.close();
    }
  });
});

describe("the circuit breaker", () => {
  it("falls back, opens after the threshold, skips the primary, and closes after a healthy probe", async () => {
    svc = await startTestService(
      { AGENT_MODEL_MAX_RETRIES: "0", AGENT_BREAKER_THRESHOLD: "3", AGENT_BREAKER_HALF_OPEN_AFTER_MS: "400" },
      { simulator: { faults: [{ kind: "status", status: 503, model: "sim-small" }] } },
    );
    const client = createAgentClient({ baseUrl: svc.url, protocol: "connect", retries: 0 });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await client.execute("Hello there");
        expect(res.model).toBe("sim-large");
        expect(res.fallbackUsed).toBe(true);
      }
      const open = await client.health();
      expect(open.models[0]).toMatchObject({ name: "sim-small", circuitState: CircuitState.OPEN, recentCalls: 3, recentErrorRate: 1 });
      expect(open.models[0]?.lastError).toMatch(/HTTP 503/);
      expect(open.models[1]).toMatchObject({ name: "sim-large", circuitState: CircuitState.CLOSED });

      // Open: the primary is skipped without a call.
      await client.execute("Hello there");
      expect(svc.simulator.stats().byModel["sim-small"]).toBe(3);

      // The primary recovers; after the cool-down one probe goes through and closes the breaker.
      svc.simulator.clearFaults();
      await expect.poll(async () => (await client.health()).models[0]?.circuitState).toBe(CircuitState.HALF_OPEN);
      const probed = await client.execute("Hello there");
      expect(probed.model).toBe("sim-small");
      expect(svc.simulator.stats().byModel["sim-small"]).toBe(4);
      expect((await client.health()).models[0]?.circuitState).toBe(CircuitState.CLOSED);
    } finally {
      client.close();
    }
  });

  it("reports NOT_SERVING while every breaker is open, pushes it on Watch, and fails fast with UNAVAILABLE", async () => {
    svc = await startTestService(
      { AGENT_MODEL_MAX_RETRIES: "0", AGENT_BREAKER_THRESHOLD: "1", AGENT_BREAKER_HALF_OPEN_AFTER_MS: "60000" },
      { simulator: { faults: [{ kind: "status", status: 503 }] } },
    );
    const health = createClient(Health, createGrpcTransport({ baseUrl: svc.url }));
    const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc", retries: 0 });
    const watching = new AbortController();
    try {
      const statuses: Serving[] = [];
      const watch = (async () => {
        for await (const update of health.watch({ service: "" }, { signal: watching.signal })) {
          statuses.push(update.status);
          if (update.status === Serving.NOT_SERVING) {
            return;
          }
        }
      })();

      const first = await client.execute("Hello there").catch((e: unknown) => e);
      expect(first).toBeInstanceOf(AgentServiceError);
      expect((first as AgentServiceError).code).toBe(Code.Unavailable);
      await watch;
      expect(statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING]);
      expect((await health.check({ service: "agent.v1.AgentService" })).status).toBe(Serving.NOT_SERVING);

      const calls = svc.simulator.stats().requests;
      const fast = (await client.execute("Hello there").catch((e: unknown) => e)) as AgentServiceError;
      expect(fast.code).toBe(Code.Unavailable);
      expect(fast.message).toMatch(/sim-small \(circuit open.*sim-large \(circuit open/);
      expect(svc.simulator.stats().requests).toBe(calls);
    } finally {
      watching.abort();
      client.close();
    }
  });
});

describe("recovery with every breaker open", () => {
  it("reports SERVING again after the cool-down without waiting for traffic, and the next run probes", async () => {
    // Regression: with all breakers open the replica reported NOT_SERVING, got no
    // traffic, and so never probed its models again.
    svc = await startTestService(
      { AGENT_MODEL_MAX_RETRIES: "0", AGENT_BREAKER_THRESHOLD: "1", AGENT_BREAKER_HALF_OPEN_AFTER_MS: "300" },
      { simulator: { faults: [{ kind: "status", status: 503, times: 2 }] } },
    );
    const health = createClient(Health, createGrpcTransport({ baseUrl: svc.url }));
    const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc", retries: 0 });
    const watching = new AbortController();
    try {
      const statuses: Serving[] = [];
      const watch = (async () => {
        for await (const update of health.watch({ service: "" }, { signal: watching.signal })) {
          statuses.push(update.status);
          if (statuses.length === 3) {
            return;
          }
        }
      })();
      await expect(client.execute("Hello there")).rejects.toBeInstanceOf(AgentServiceError);
      const calls = svc.simulator.stats().requests;
      await watch;
      expect(statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING, Serving.SERVING]);
      expect(svc.simulator.stats().requests).toBe(calls);
      // SERVING came with the first breaker to half-open; the other follows within its own cool-down.
      await expect
        .poll(async () => (await client.health()).models.map((m) => m.circuitState))
        .toEqual([CircuitState.HALF_OPEN, CircuitState.HALF_OPEN]);

      const res = await client.execute("Hello there");
      expect(res.model).toBe("sim-small");
      expect((await client.health()).models[0]?.circuitState).toBe(CircuitState.CLOSED);
    } finally {
      watching.abort();
      client.close();
    }
  });
});

describe("timeouts", () => {
  it("times out a hung primary at the configured time and answers from the fallback within the deadline", async () => {
    svc = await startTestService(
      { AGENT_MODEL_TIMEOUT_MS: "300", AGENT_MODEL_MAX_RETRIES: "0" },
      { simulator: { faults: [{ kind: "hang", model: "sim-small" }] } },
    );
    const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc", retries: 0 });
    try {
      const started = performance.now();
      const res = await client.execute("Hello there", { timeoutMs: 5_000 });
      const elapsed = performance.now() - started;
      expect(res.model).toBe("sim-large");
      expect(res.stopReason).toBe(StopReason.FINAL_ANSWER);
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(5_000);
      expect(svc.simulator.stats().abortedByModel["sim-small"]).toBe(1);
    } finally {
      client.close();
    }
  });
});

describe("a stream cut mid-answer", () => {
  it("gives SDK text equal to the fallback's answer, and the restart marker", async () => {
    svc = await startTestService({}, { simulator: { faults: [{ kind: "cut-stream", model: "sim-small" }] } });
    const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc-web", retries: 0 });
    try {
      let text = "";
      const events: StreamResponse[] = [];
      for await (const event of client.stream("Hello there, who are you?")) {
        events.push(event);
        if (event.event.case === "textDelta") {
          text += event.event.value.text;
        }
      }
      const kinds = events.map((e) => e.event.case);
      expect(kinds).toContain("stepRestarted");
      const last = events.at(-1)?.event;
      const result = last?.case === "runCompleted" ? last.value.result : undefined;
      expect(result?.model).toBe("sim-large");
      expect(text).toBe(result?.output);

      // Live deltas show the torn text too, followed by the marker.
      const live: string[] = [];
      for await (const event of client.stream("Hello there, who are you?", { textDeltas: "live" })) {
        live.push(event.event.case === "textDelta" ? "text" : (event.event.case ?? ""));
      }
      expect(live.indexOf("text")).toBeLessThan(live.indexOf("stepRestarted"));
    } finally {
      client.close();
    }
  });
});

describe("a fallback at another provider", () => {
  it("answers from the second base URL with its own key when the first provider is down", async () => {
    const first = await createSimulator({ models: ["primary-model"], faults: [{ kind: "status", status: 503 }] });
    const second = await createSimulator({ models: ["backup-model"], apiKey: "sk-backup" });
    const dir = mkdtempSync(join(tmpdir(), "models-"));
    const file = join(dir, "models.json");
    writeFileSync(
      file,
      JSON.stringify({
        models: [
          { name: "primary-model", baseUrl: first.url, maxRetries: 0 },
          { name: "backup-model", baseUrl: second.url, apiKeyEnv: "BACKUP_KEY", price: { inputPerMillion: 1, outputPerMillion: 1 } },
        ],
      }),
    );
    const config = loadConfig({ AGENT_DATA_DIR: "memory://", PORT: "0", METRICS_PORT: "0", AGENT_MODELS_FILE: file, BACKUP_KEY: "sk-backup", LOG_LEVEL: "silent" });
    const service = await startAgentService(config, { logger: createLogger({ level: "silent" }), pgliteTemplate: storeTemplate() });
    const client = createAgentClient({ baseUrl: service.url, protocol: "grpc", retries: 0 });
    try {
      expect(service.simulator).toBeUndefined();
      const res = await client.execute("What is 17 * 23?");
      expect(res.output).toContain("391");
      expect(res.model).toBe("backup-model");
      expect(res.fallbackUsed).toBe(true);
      expect(res.costUsd).toBeCloseTo((res.usage?.totalTokens ?? 0) / 1e6, 12);
      expect(first.stats().requests).toBe(2);
      expect(second.stats().requests).toBe(2);
    } finally {
      client.close();
      await service.shutdown(0);
      await Promise.all([first.close(), second.close()]);
    }
  });
});
