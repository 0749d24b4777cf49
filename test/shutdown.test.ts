import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../gen/grpc/health/v1/health_pb.js";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AgentService, type StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { StopReason } from "../gen/agent/v1/run_pb.js";
import { loadConfig } from "../server/config.js";
import { createLogger } from "../server/logger.js";
import { startAgentService } from "../server/service.js";
import { startTestService } from "./support/test-service.js";

describe("graceful shutdown", () => {
  it("lets an in-flight run finish within the grace period, then stops", async () => {
    const svc = await startTestService({}, { simulator: { faults: [{ kind: "slow-first-token", delayMs: 300, times: 1 }] } });
    try {
      const client = createClient(AgentService, createConnectTransport({ baseUrl: svc.url, httpVersion: "2" }));
      const requested = once(svc.simulator.events, "request");
      const run = client.execute({ input: "What is 17 * 23?" });
      await requested;
      const stopped = svc.service.shutdown(30_000);
      const res = await run;
      expect(res.stopReason).toBe(StopReason.FINAL_ANSWER);
      expect(res.output).toContain("391");
      await stopped;
      // New connections are refused once the server is down.
      await expect(fetch(`${svc.url}/agent.v1.AgentService/Health`, { method: "POST" })).rejects.toThrow();
    } finally {
      await svc.close();
    }
  });

  it("ends health watches with NOT_SERVING instead of waiting out the grace period for them", async () => {
    // Regression: an open Watch stream counted as an in-flight request, so
    // every shutdown waited the whole grace period and canceled nothing.
    const svc = await startTestService();
    try {
      const health = createClient(Health, createGrpcTransport({ baseUrl: svc.url }));
      const statuses: Serving[] = [];
      const watching = (async () => {
        for await (const update of health.watch({ service: "" })) {
          statuses.push(update.status);
        }
      })();
      await expect.poll(() => statuses.length).toBe(1);
      const logsBefore = svc.logs.length;
      await svc.service.shutdown(60_000);
      await watching;
      expect(statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING]);
      expect(svc.logs.slice(logsBefore).some((l) => String(l["msg"]).includes("grace period over"))).toBe(false);
    } finally {
      await svc.close();
    }
  });

  it("cancels runs still going when the grace period is over, with UNAVAILABLE", async () => {
    const svc = await startTestService({}, { simulator: { faults: [{ kind: "hang" }] } });
    try {
      const client = createClient(AgentService, createConnectTransport({ baseUrl: svc.url, httpVersion: "1.1" }));
      const requested = once(svc.simulator.events, "request");
      const aborted = once(svc.simulator.events, "aborted");
      const run = client.execute({ input: "What is 17 * 23?" }).catch((e: unknown) => e);
      await requested;
      await svc.service.shutdown(50);
      const err = await run;
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.Unavailable);
      expect((err as ConnectError).rawMessage).toMatch(/shutting down/);
      await aborted;
    } finally {
      await svc.close();
    }
  });
});

describe("the service process", () => {
  it("starts, finishes a streaming run on SIGTERM, exits 0, and never logs a secret", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const modelsFile = join(mkdtempSync(join(tmpdir(), "models-")), "models.json");
    writeFileSync(
      modelsFile,
      JSON.stringify({
        models: [
          { name: "sim-small", apiKey: "sk-file-inline-secret-0123456789" },
          { name: "sim-large", apiKeyEnv: "FILE_MODEL_KEY" },
        ],
      }),
    );
    const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
      cwd: root,
      env: {
        ...process.env,
        PORT: "0",
        METRICS_PORT: "0",
        LOG_LEVEL: "info",
        // Secrets in every place configuration can hold one; none may reach the logs.
        OPENAI_API_KEY: "sk-env-secret-0123456789",
        AGENT_MODELS_FILE: modelsFile,
        FILE_MODEL_KEY: "sk-file-env-secret-0123456789",
        OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=otlp-header-secret-0123",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9",
        OTEL_TRACES_EXPORTER: "none",
        OTEL_METRICS_EXPORTER: "none",
        // Slow chunks from the built-in simulator keep the run going while the signal arrives.
        SIMULATOR_FAULTS: JSON.stringify([{ kind: "slow-first-token", delayMs: 300 }]),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const logs: Record<string, unknown>[] = [];
      const listening = new Promise<string>((resolve) => {
        createInterface({ input: child.stdout }).on("line", (line) => {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (typeof entry["url"] === "string") {
            resolve(entry["url"]);
          }
        });
      });
      const exited = once(child, "exit");
      const url = await listening;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const client = createClient(AgentService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
      const events: StreamResponse[] = [];
      for await (const event of client.stream({ input: "What is 17 * 23?" })) {
        events.push(event);
        if (event.event.case === "runStarted") {
          child.kill("SIGTERM");
        }
      }
      expect(events.at(-1)?.event.case).toBe("runCompleted");
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      const everything = JSON.stringify(logs);
      for (const secret of ["sk-env-secret", "sk-file-inline-secret", "sk-file-env-secret", "otlp-header-secret"]) {
        expect(everything).not.toContain(secret);
      }
      expect(logs.map((l) => l["msg"])).toEqual(
        expect.arrayContaining(["shutting down: finishing in-flight runs", "run finished", "shut down cleanly"]),
      );
    } finally {
      child.kill("SIGKILL");
    }
  });
});

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("a service that cannot start", () => {
  it("fails with the reason and leaves nothing running behind", async () => {
    // Regression: a taken port left the metrics listener, the simulator and the tracer running.
    const blocker = await startTestService();
    try {
      const metricsPort = await freePort();
      const config = loadConfig({
        HOST: "127.0.0.1",
        PORT: String(blocker.service.port),
        METRICS_PORT: String(metricsPort),
        AGENT_CACHE: "off",
      });
      await expect(startAgentService(config, { logger: createLogger({ level: "silent" }) })).rejects.toThrow(/EADDRINUSE/);
      // The metrics listener it had opened is closed again: its port can be bound.
      const probe = net.createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once("error", reject);
        probe.listen(metricsPort, "127.0.0.1", resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
    } finally {
      await blocker.close();
    }
  });
});
