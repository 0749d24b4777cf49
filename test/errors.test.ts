import { createAuthInterceptor } from "../server/auth/auth-interceptor.js";
import { createAuthenticator } from "../server/auth/authenticator.js";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { createConnectTransport } from "@connectrpc/connect-node";
import { once } from "node:events";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import type { AgentExecutor } from "../server/agent/agent-executor.js";
import { startHttpServer } from "../server/http-server.js";
import { createRunLifecycle } from "../server/runs/run-lifecycle.js";
import { createRunRecorder } from "../server/runs/run-recorder.js";
import { createLiveRuns } from "../server/runs/live-runs.js";
import { createLocalRunSignals } from "../server/runs/run-signals.js";
import { createRunWatcher } from "../server/runs/run-watch.js";
import { openStore } from "../server/store/index.js";
import { createAgentService } from "../server/rpc/agent-service.js";
import { createHealthStatus } from "../server/rpc/health-status.js";
import { createTraceInterceptor } from "../server/rpc/trace-interceptor.js";
import { createTracing } from "../server/telemetry/tracing.js";
import { createRunLimiter } from "../server/runs/run-limiter.js";
import { createServiceMetrics } from "../server/telemetry/service-metrics.js";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { startTestService, type TestService, storeTemplate } from "./support/test-service.js";

let svc: TestService;
let client: Client<typeof AgentService>;

beforeAll(async () => {
  // The same task is sent again and again with different faults: no cached answers here.
  svc = await startTestService({
    AGENT_CACHE: "off",
    AGENT_MAX_INPUT_CHARS: "1000",
    AGENT_MAX_ITERATIONS_CAP: "10",
    AGENT_MAX_EXECUTION_TIME_CAP_MS: "60000",
  });
  client = createClient(AgentService, createConnectTransport({ baseUrl: svc.url, httpVersion: "2" }));
});
afterAll(() => svc.close());

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConnectError)) {
    throw new Error(`expected a ConnectError, got ${String(err)}`);
  }
  return err;
}

describe.each([
  { name: "an empty input", request: { input: "" }, field: "input", message: /input: must not be empty/ },
  { name: "a blank input", request: { input: " \n\t " }, field: "input", message: /input: must not be empty/ },
  { name: "an oversized input", request: { input: "x".repeat(1001) }, field: "input", message: /at most 1000 characters, got 1001/ },
  {
    name: "max_iterations above the cap",
    request: { input: "hi", maxIterations: 11 },
    field: "max_iterations",
    message: /max_iterations: must be at most 10 \(the server cap\), got 11/,
  },
  {
    name: "max_execution_time above the cap",
    request: { input: "hi", maxExecutionTime: { seconds: 61n, nanos: 0 } },
    field: "max_execution_time",
    message: /at most 60s/,
  },
  {
    name: "a negative max_execution_time",
    request: { input: "hi", maxExecutionTime: { seconds: -1n, nanos: 0 } },
    field: "max_execution_time",
    message: /positive duration/,
  },
])("INVALID_ARGUMENT for $name", ({ request, field, message }) => {
  it.each(["execute", "stream"] as const)("on %s, naming the field", async (method) => {
    const call =
      method === "execute"
        ? client.execute(request)
        : (async () => {
            for await (const _ of client.stream(request)) {
              // The first read fails.
            }
          })();
    const err = await failure(call);
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(message);
    const detail = err.findDetails(ErrorDetailSchema)[0];
    expect(detail?.reason).toBe("INVALID_REQUEST");
    expect(detail?.fieldViolations.map((v) => v.field)).toEqual([field]);
  });
});

describe("protocol errors", () => {
  it("INVALID_ARGUMENT for malformed JSON", async () => {
    const res = await fetch(`${svc.url}/agent.v1.AgentService/Execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"input": "What is',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/cannot decode|json/i);
  });

  it("UNIMPLEMENTED for an unknown method, listing what is served (Connect)", async () => {
    const res = await fetch(`${svc.url}/agent.v1.AgentService/Nope`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("unimplemented");
    expect(body.message).toBe(
      "unknown method /agent.v1.AgentService/Nope: this server serves agent.v1.AgentService (Execute, Stream, Health) and agent.v1.RunService (GetRun, ListRuns, WatchRun, CancelRun, GetThread, SubmitFeedback, GetCaller) and agent.v1.PromptService (RegisterPrompt, GetPrompt, ListPrompts, ListPromptVersions, ActivatePromptVersion, StartExperiment, StopExperiment, GetExperimentResults, ListExperiments) and agent.v1.AuditService (VerifyAuditLog, ListAuditEvents) and grpc.health.v1.Health (Check, List, Watch) and grpc.reflection.v1.ServerReflection (ServerReflectionInfo) and grpc.reflection.v1alpha.ServerReflection (ServerReflectionInfo)",
    );
  });

  it("UNIMPLEMENTED for an unknown method over gRPC-Web", async () => {
    const res = await fetch(`${svc.url}/other.v1.Other/Call`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: new Uint8Array([0, 0, 0, 0, 0]),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("grpc-status")).toBe("12");
    expect(decodeURIComponent(res.headers.get("grpc-message") ?? "")).toMatch(/^unknown method \/other\.v1\.Other\/Call: this server serves/);
  });

  it("UNIMPLEMENTED for an unknown method over gRPC, with a clear message", async () => {
    const target = svc.url.replace("http://", "");
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError>((resolve) => {
        client.makeUnaryRequest(
          "/agent.v1.AgentService/Nope",
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0),
          (e) => resolve(e as grpc.ServiceError),
        );
      });
      expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(decodeURIComponent(err.details)).toMatch(/^unknown method \/agent\.v1\.AgentService\/Nope: this server serves/);
    } finally {
      client.close();
    }
  });
});

describe("run errors", () => {
  it("UNAVAILABLE naming every model when all of them fail", async () => {
    svc.simulator.setFaults([{ kind: "status", status: 503 }]);
    try {
      const err = await failure(client.execute({ input: "What is 1 + 1?" }));
      expect(err.code).toBe(Code.Unavailable);
      expect(err.rawMessage).toContain("sim-small (HTTP 503");
      expect(err.rawMessage).toContain("sim-large (HTTP 503");
      const detail = err.findDetails(ErrorDetailSchema)[0];
      expect(detail?.reason).toBe("MODELS_UNAVAILABLE");
      expect(detail?.runId).not.toBe("");
      expect(detail?.traceId).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      svc.simulator.clearFaults();
    }
  });

  it("INTERNAL, not UNAVAILABLE, when every model rejects the request itself", async () => {
    // Regression: a wrong API key (401 from every model) told callers to retry
    // later, forever, while the breakers stayed closed and health said SERVING.
    svc.simulator.setFaults([{ kind: "status", status: 401 }]);
    svc.simulator.resetStats();
    try {
      const err = await failure(client.execute({ input: "What is 1 + 1?" }));
      expect(err.code).toBe(Code.Internal);
      const detail = err.findDetails(ErrorDetailSchema)[0];
      expect(detail?.reason).toBe("MODELS_REJECTED_REQUEST");
      expect(err.rawMessage).toContain(detail?.traceId ?? "missing");
      const logged = svc.logs.find((l) => l["msg"] === "run failed with an internal error" && l["trace_id"] === detail?.traceId);
      expect(JSON.stringify(logged?.["err"])).toMatch(/sim-small \(HTTP 401/);
      // Exactly one call per model: a 401 is never retried.
      expect(svc.simulator.stats().byModel).toEqual({ "sim-small": 1, "sim-large": 1 });
    } finally {
      svc.simulator.clearFaults();
    }
  });

  it("answers from the fallback when the primary fails before streaming", async () => {
    svc.simulator.setFaults([{ kind: "status", status: 500, model: "sim-small" }]);
    try {
      const res = await client.execute({ input: "What is 1 + 1?" });
      expect(res.model).toBe("sim-large");
      expect(res.fallbackUsed).toBe(true);
      expect(res.output).toContain("2");
    } finally {
      svc.simulator.clearFaults();
    }
  });

  it("DEADLINE_EXCEEDED when the caller's deadline passes, and the model call is aborted", async () => {
    svc.simulator.setFaults([{ kind: "hang" }]);
    try {
      const aborted = once(svc.simulator.events, "aborted");
      const err = await failure(client.execute({ input: "What is 1 + 1?" }, { timeoutMs: 300 }));
      expect(err.code).toBe(Code.DeadlineExceeded);
      await aborted;
    } finally {
      svc.simulator.clearFaults();
    }
  });

  it("CANCELED on the server when the caller goes away", async () => {
    svc.simulator.setFaults([{ kind: "hang" }]);
    try {
      const caller = new AbortController();
      const requested = once(svc.simulator.events, "request");
      const call = failure(client.execute({ input: "What is 1 + 1?" }, { signal: caller.signal }));
      await requested;
      const aborted = once(svc.simulator.events, "aborted");
      caller.abort();
      expect((await call).code).toBe(Code.Canceled);
      await aborted;
      await expect.poll(() => svc.logs.some((l) => l["msg"] === "run failed" && l["code"] === "Canceled")).toBe(true);
    } finally {
      svc.simulator.clearFaults();
    }
  });

  it("keeps serving after every error above", async () => {
    const res = await client.execute({ input: "What is 2 * 21?" });
    expect(res.output).toContain("42");
  });
});

describe("INTERNAL", () => {
  it("says little to the caller, carries the trace id, and logs everything", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    // An executor with a bug, behind the real server and handlers.
    const broken: AgentExecutor = {
      primaryModel: "sim-large",
      promptVersion: "broken",
      // eslint-disable-next-line require-yield
      async *run() {
        throw new TypeError("cannot read properties of undefined (reading 'secret internals')");
      },
    };
    const telemetry = createTracing({ serviceName: "test", serviceVersion: "0", otlpUrl: undefined });
    const store = await openStore({ dataDir: "memory://", pgliteTemplate: storeTemplate() });
    const live = createLiveRuns();
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      logger,
      // Without keys configured, every caller is the local dev principal.
      interceptors: [createTraceInterceptor(telemetry.tracer, telemetry.propagator), createAuthInterceptor(createAuthenticator({ apiKeys: undefined, jwt: undefined }))],
      routes: (router) =>
        router.service(
          AgentService,
          createAgentService({
            lifecycle: createRunLifecycle({
              executor: broken,
              limits: { maxInputChars: 10, maxIterations: 1, maxIterationsCap: 1, maxExecutionTimeMs: 1000, maxExecutionTimeCapMs: 1000, maxRunCostUsd: 0 },
              logger,
              limiter: createRunLimiter({ maxConcurrent: 1, maxQueued: 0 }),
              metrics: createServiceMetrics(new MeterProvider().getMeter("test")),
              recorder: createRunRecorder({ store, logger }),
              store,
              live,
              watcher: createRunWatcher({ store, live, signals: createLocalRunSignals(), logger }),
            }),
            health: createHealthStatus([]),
            models: () => [],
            cache: () => undefined,
            version: "test",
          }),
        ),
    });
    try {
      const buggy = createClient(AgentService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
      const err = await failure(buggy.execute({ input: "hi" }));
      expect(err.code).toBe(Code.Internal);
      expect(err.rawMessage).not.toContain("secret internals");
      const traceId = err.findDetails(ErrorDetailSchema)[0]?.traceId ?? "";
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(err.rawMessage).toContain(traceId);
      const logged = lines.find((l) => l["msg"] === "run failed with an internal error");
      expect(logged?.["trace_id"]).toBe(traceId);
      expect(JSON.stringify(logged?.["err"])).toContain("secret internals");
    } finally {
      await server.shutdown(0);
      await store.close();
    }
  });
});
