import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AgentServiceError,
  Code,
  ServingStatus,
  StopReason,
  createAgentClient,
  type AgentClient,
  type AgentProtocol,
  type StreamResponse,
} from "../client/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

describe.each<{ protocol: AgentProtocol; httpVersion: "1.1" | "2" }>([
  { protocol: "connect", httpVersion: "2" },
  { protocol: "connect", httpVersion: "1.1" },
  { protocol: "grpc", httpVersion: "2" },
  { protocol: "grpc-web", httpVersion: "2" },
  { protocol: "grpc-web", httpVersion: "1.1" },
])("the SDK over $protocol (HTTP/$httpVersion)", ({ protocol, httpVersion }) => {
  let client: AgentClient;
  beforeAll(() => {
    client = createAgentClient({ baseUrl: svc.url, protocol, httpVersion, timeoutMs: 10_000 });
  });
  afterAll(() => client.close());

  it("executes a task", async () => {
    const res = await client.execute("What is 17 * 23?");
    expect(res.output).toContain("391");
    expect(res.stopReason).toBe(StopReason.FINAL_ANSWER);
  });

  it("streams a task's events", async () => {
    const kinds: StreamResponse["event"]["case"][] = [];
    for await (const event of client.stream("What is 17 * 23?")) {
      kinds.push(event.event.case);
    }
    expect(kinds[0]).toBe("runStarted");
    expect(kinds).toContain("toolCallFinished");
    expect(kinds.at(-1)).toBe("runCompleted");
  });

  it("reports health", async () => {
    const health = await client.health();
    expect(health.status).toBe(ServingStatus.SERVING);
    expect(health.models.map((m) => m.name)).toEqual(["sim-small", "sim-large"]);
  });

  it("throws a typed error with the broken rule", async () => {
    const err = await client.execute("   ").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentServiceError);
    const typed = err as AgentServiceError;
    expect(typed.code).toBe(Code.InvalidArgument);
    expect(typed.reason).toBe("INVALID_REQUEST");
    expect(typed.fieldViolations.map((v) => v.field)).toEqual(["input"]);
  });
});

describe("the SDK's options", () => {
  it("sends the client's headers, and a call's own header wins over them", async () => {
    // traceparent is a header whose effect the server reports back, as the run's traceId.
    const clientTrace = "0af7651916cd43dd8448eb211c80319c";
    const callTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const client = createAgentClient({
      baseUrl: svc.url,
      tracing: false,
      headers: { traceparent: `00-${clientTrace}-b7ad6b7169203331-01` },
    });
    try {
      expect((await client.execute("What is 1 + 1?")).traceId).toBe(clientTrace);
      const res = await client.execute("What is 1 + 1?", {
        headers: { traceparent: `00-${callTrace}-00f067aa0ba902b7-01` },
        maxIterations: 4,
        maxExecutionTimeMs: 5_000,
      });
      expect(res.traceId).toBe(callTrace);
    } finally {
      client.close();
    }
  });

  it("needs a base URL or a transport", () => {
    expect(() => createAgentClient({})).toThrow(/baseUrl/);
  });
});
