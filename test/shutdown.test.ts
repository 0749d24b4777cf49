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
import { startServiceProcess } from "./support/service-process.js";
import { connectHeldWindowClient, type StreamOutcome } from "./support/shutdown/held-window-client.js";
import { storeTemplatePath } from "./support/store-template.js";
import { startTestService, storeTemplate } from "./support/test-service.js";

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

describe("concurrent requests", () => {
  it("add no MaxListenersExceededWarning on the shutdown signal (regression: a warning under concurrency)", async () => {
    const svc = await startTestService({}, { simulator: { faults: [{ kind: "hang" }] } });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const client = createClient(AgentService, createConnectTransport({ baseUrl: svc.url, httpVersion: "2" }));
      const concurrent = 25;
      let requested = 0;
      // Every run is held by the simulator until canceled, so all are in flight at once.
      const allRequested = new Promise<void>((resolve) =>
        svc.simulator.events.on("request", () => {
          if (++requested === concurrent) resolve();
        }),
      );
      // One controller per call: one shared signal would warn on the client side.
      const cancels = Array.from({ length: concurrent }, () => new AbortController());
      const runs = cancels.map((cancel, i) =>
        // Distinct inputs: the response cache would make identical runs share one model call.
        client.execute({ input: `What is 17 * ${i}?` }, { signal: cancel.signal }).catch((e: unknown) => e),
      );
      await allRequested;
      cancels.forEach((cancel) => cancel.abort());
      for (const err of await Promise.all(runs)) {
        expect(ConnectError.from(err).code).toBe(Code.Canceled);
      }
      // Node emits its warnings on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      await svc.close();
    }
  });
});

describe("SIGTERM under load", () => {
  it(
    "delivers every stream that completed whole and ends the rest with a status (regression: shutdown cut finished streams)",
    async () => {
      // Runs that all finish at about the same moment in the grace period race the
      // shutdown's last flush; a first round also has runs that hang until it is over.
      const rounds = [
        [{ kind: "hang", times: 10 }, { kind: "slow-first-token", delayMs: 200 }],
        [{ kind: "slow-first-token", delayMs: 300 }],
        [{ kind: "slow-first-token", delayMs: 300 }],
      ];
      for (const faults of rounds) {
        const service = startServiceProcess(process.execPath, ["--import", "tsx", "server/main.ts"], {
          PORT: "0",
          METRICS_PORT: "off",
          LOG_LEVEL: "info",
          OTEL_TRACES_EXPORTER: "none",
          OTEL_METRICS_EXPORTER: "none",
          // Ten times the slowest first token: on a loaded machine the runs that can finish in the
          // grace still do, so that the test tells shutdown cutting streams from a slow machine.
          SHUTDOWN_GRACE_MS: "3000",
          AGENT_CACHE: "off",
          SIMULATOR_FAULTS: JSON.stringify(faults),
        });
        try {
          const url = await service.listening;
          const connect = createClient(AgentService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
          const grpc = createClient(AgentService, createGrpcTransport({ baseUrl: url }));
          let started = 0;
          let onAllStarted: () => void = () => undefined;
          const allStarted = new Promise<void>((resolve) => (onAllStarted = resolve));
          const streams = 50;
          const outcomes = Array.from({ length: streams }, async (_, i) => {
            const events: StreamResponse[] = [];
            try {
              for await (const event of (i % 2 === 0 ? connect : grpc).stream({ input: `What is ${i} * 23?` })) {
                events.push(event);
                if (event.event.case === "runStarted" && ++started === streams) {
                  onAllStarted();
                }
              }
              return { completed: events.at(-1)?.event.case === "runCompleted", code: undefined };
            } catch (err) {
              return { completed: events.some((e) => e.event.case === "runCompleted"), code: ConnectError.from(err).code };
            }
          });
          await allStarted;
          service.child.kill("SIGTERM");
          const results = await Promise.all(outcomes);
          // A stream that got its runCompleted must also end OK: the end of the stream was sent too.
          expect(results.filter((r) => r.completed && r.code !== undefined)).toEqual([]);
          for (const result of results.filter((r) => !r.completed)) {
            expect([Code.Unavailable, Code.Canceled]).toContain(result.code);
          }
          expect(results.filter((r) => r.completed).length).toBeGreaterThan(0);
          expect(await service.exited).toBe(0);
        } finally {
          service.child.kill("SIGKILL");
        }
      }
    },
    60_000,
  );
});

describe("shutdown once the last run has finished", () => {
  it("delivers the last frames of streams that finished, still queued in the server (regression: shutdown cut finished streams)", async () => {
    // The race made certain. Every stream's end (runCompleted, end of stream)
    // waits in the server's HTTP/2 session behind a shut connection window
    // while the client does not read; opening the window makes the server
    // write megabytes more than the socket buffers take, and stop reading
    // until that write is done; a PING sent then stays unread. The client then
    // reads slowly: the write completes, the ends follow at once (every stream
    // closes, no RPC is in flight) while the socket still holds the last
    // frames. Destroying it then (the old code) resets the connection, the
    // unread PING making the kernel send RST and drop what it holds.
    // Each answer stays under the 16 KiB a response buffers before its writes
    // wait, so every handler finishes with its end queued.
    const streams = 400;
    const svc = await startTestService({ AGENT_CACHE: "off", AGENT_MAX_CONCURRENT_RUNS: String(streams) });
    const client = await connectHeldWindowClient(svc.service.port);
    try {
      const calls = Array.from({ length: streams }, (_, i) => client.stream(`#words 2x1500 (call ${i})`));
      const finished = () => svc.logs.filter((l) => l["msg"] === "run finished").length;
      await expect.poll(finished, { timeout: 20_000, interval: 20 }).toBe(streams);
      client.pauseReading();
      const stopped = svc.service.shutdown(30_000);
      client.openWindow();
      client.trickleReading();
      await client.windowUsed;
      client.ping();
      await client.ended;
      await stopped;
      expect(calls.filter((call) => !completed(call)).map(describeCall)).toEqual([]);
    } finally {
      client.close();
      await svc.close();
    }
  });
});

/** Whether a call got its runCompleted and then a clean end of stream. */
function completed(call: StreamOutcome): boolean {
  return (
    call.ended &&
    call.resetCode === undefined &&
    call.messages.at(-1)?.event.case === "runCompleted" &&
    call.endOfStream !== undefined &&
    call.endOfStream["error"] === undefined
  );
}

function describeCall(call: StreamOutcome) {
  return { stream: call.streamId, last: call.messages.at(-1)?.event.case, endOfStream: call.endOfStream, ended: call.ended, reset: call.resetCode };
}

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
        AGENT_DATA_DIR: "memory://",
        AGENT_DATA_TEMPLATE: storeTemplatePath(),
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
      // 'close', not 'exit': the process may exit before its last lines have been read from the pipe.
      const exited = once(child, "close");
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

/** The `code` of an error and of every error in its cause chain. */
function errorCodes(err: unknown): unknown[] {
  const codes: unknown[] = [];
  for (let at = err; at instanceof Error; at = at.cause) {
    codes.push((at as NodeJS.ErrnoException).code);
  }
  return codes;
}

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
        AGENT_DATA_DIR: "memory://",
        HOST: "127.0.0.1",
        PORT: String(blocker.service.port),
        METRICS_PORT: String(metricsPort),
        AGENT_CACHE: "off",
      });
      const failure = await startAgentService(config, { logger: createLogger({ level: "silent" }), pgliteTemplate: storeTemplate() }).catch((e: unknown) => e);
      // By the system error's code, on the error or on what it wraps (a start-up error naming the setting).
      expect(errorCodes(failure)).toContain("EADDRINUSE");
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
