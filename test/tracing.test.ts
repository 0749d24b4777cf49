import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createAgentClient, type ExecuteResponse } from "../client/index.js";
import { PromptRole, PromptService } from "../gen/agent/v1/prompt_service_pb.js";
import type { SimulatorRequestEvent } from "../server/simulator/index.js";
import { childrenOf, findSpan, startOtlpReceiver, type OtlpReceiver } from "./support/otlp/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

let receiver: OtlpReceiver;
let svc: TestService;
const modelRequests: SimulatorRequestEvent[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  svc = await startTestService({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: "50",
    OTEL_SERVICE_NAME: "agent-service-under-test",
    AGENT_CACHE: "off",
    AGENT_MODEL_MAX_RETRIES: "1",
    AGENT_RETRY_INITIAL_BACKOFF_MS: "1",
  });
  svc.simulator.events.on("request", (event) => modelRequests.push(event));
});
afterAll(async () => {
  await svc.close();
  await receiver.close();
});

/**
 * One run with a retry, a fallback and two tool calls: the primary answers
 * 429 once (retried, then it calls two tools), then fails the next turn
 * with 503 on both attempts, so the fallback writes the answer.
 */
function scriptFaults() {
  svc.simulator.setFaults([
    { kind: "status", status: 429, retryAfterMs: 5, model: "sim-small", times: 1 },
    { kind: "status", status: 503, model: "sim-small", skip: 1 },
  ]);
}
const task = "What is 6 * 7, and what time is it in Asia/Tokyo?";

// Each test gets a fresh trace id under this prefix, and continues this caller span.
const caller = { traceIdPrefix: "4bf92f3577b34da6a3ce929d0e0e", spanId: "00f067aa0ba902b7" };

const protoDefinition = protoLoader.loadSync(["agent/v1/agent_service.proto"], {
  includeDirs: [fileURLToPath(new URL("../proto", import.meta.url))],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const { AgentService } = (grpc.loadPackageDefinition(protoDefinition) as unknown as {
  agent: { v1: { AgentService: grpc.ServiceClientConstructor } };
}).agent.v1;

const callers: Record<string, (traceparent: string) => Promise<{ traceId: string; output: string }>> = {
  "Connect (SDK)": async (traceparent) => {
    const client = createAgentClient({ baseUrl: svc.url, protocol: "connect" });
    try {
      return await client.execute(task, { headers: { traceparent } });
    } finally {
      client.close();
    }
  },
  "gRPC-Web (SDK)": async (traceparent) => {
    const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc-web", httpVersion: "1.1" });
    try {
      return await client.execute(task, { headers: { traceparent } });
    } finally {
      client.close();
    }
  },
  "gRPC (@grpc/grpc-js)": async (traceparent) => {
    const client = new AgentService(svc.url.replace("http://", ""), grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set("traceparent", traceparent);
    try {
      return await new Promise<ExecuteResponse>((resolve, reject) =>
        (client as unknown as Record<string, (...a: unknown[]) => void>)["Execute"]?.(
          { input: task },
          metadata,
          (err: grpc.ServiceError | null, res: ExecuteResponse) => (err ? reject(err) : resolve(res)),
        ),
      );
    } finally {
      client.close();
    }
  },
};

describe.each(Object.keys(callers))("one trace per run, called over %s", (name) => {
  it("continues the caller's trace through the agent, every model attempt and tool, to the model's HTTP calls", async () => {
    receiver.clear();
    modelRequests.length = 0;
    scriptFaults();
    const traceId = caller.traceIdPrefix + Math.floor(Math.random() * 0xffff).toString(16).padStart(4, "0");
    const call = callers[name];
    if (call === undefined) {
      throw new Error(`no caller named ${name}`);
    }
    const res = await call(`00-${traceId}-${caller.spanId}-01`);
    svc.simulator.clearFaults();
    expect(res.traceId).toBe(traceId);
    expect(res.output).toContain("42");

    // Spans arrive in batches: wait until the run's root has ended and been exported.
    const spans = await receiver.waitForSpans((all) => all.some((s) => s.traceId === traceId && s.kind === "server"));
    const trace = spans.filter((s) => s.traceId === traceId);

    // The RPC server span is the caller's child.
    const server = findSpan(trace, "agent.v1.AgentService/Execute");
    expect(server.kind).toBe("server");
    expect(server.parentSpanId).toBe(caller.spanId);
    expect(server.resource["service.name"]).toBe("agent-service-under-test");

    // invoke_agent under it.
    const agent = findSpan(trace, "invoke_agent agent-service");
    expect(agent.parentSpanId).toBe(server.spanId);
    expect(agent.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "agent.run_id": expect.stringMatching(/^[0-9a-f-]{36}$/),
      "agent.prompt_version": expect.stringMatching(/^default@/),
      "agent.stop_reason": "final_answer",
      "agent.fallback_used": true,
    });

    // Every model attempt is its own chat span under invoke_agent: a retry on the
    // primary, two failed attempts on the next turn, then the fallback.
    const chats = childrenOf(trace, agent)
      .filter((s) => s.name.startsWith("chat "))
      .sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
    expect(chats.map((s) => [s.name, s.attributes["agent.model.attempt"], s.attributes["error.type"] ?? "ok"])).toEqual([
      ["chat sim-small", 1, "429"],
      ["chat sim-small", 2, "ok"],
      ["chat sim-small", 1, "503"],
      ["chat sim-small", 2, "503"],
      ["chat sim-large", 1, "ok"],
    ]);
    for (const chat of chats) {
      expect(chat.kind).toBe("client");
      // The default prompt samples at the models' temperature (0) and sets no output-token limit.
      expect(chat.attributes).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.temperature": 0 });
      expect(chat.attributes["gen_ai.request.max_tokens"]).toBeUndefined();
      // The model's HTTP call is a child of its chat span, and carried the trace to the model.
      const http = childrenOf(trace, chat);
      expect(http.map((s) => [s.name, s.kind])).toEqual([["POST", "client"]]);
      expect(http[0]?.attributes["http.response.status_code"]).toBe(chat.attributes["error.type"] === undefined ? 200 : Number(chat.attributes["error.type"]));
      expect(modelRequests.some((r) => r.traceparent?.startsWith(`00-${traceId}-${http[0]?.spanId}-`))).toBe(true);
    }
    const answered = chats.filter((s) => s.attributes["error.type"] === undefined);
    for (const chat of answered) {
      expect(chat.status.code).toBe("unset");
      expect(chat.attributes["gen_ai.response.model"]).toBe(chat.attributes["gen_ai.request.model"]);
      expect(chat.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
      expect(chat.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
      expect(chat.attributes["gen_ai.response.finish_reasons"]).toHaveLength(1);
    }
    expect(chats.at(-1)?.attributes).toMatchObject({ "agent.model.fallback": true, "agent.model.position": 1 });
    expect(chats.filter((s) => s.attributes["error.type"] !== undefined).every((s) => s.status.code === "error")).toBe(true);

    // Two tool calls, each its own execute_tool span under invoke_agent.
    const tools = childrenOf(trace, agent).filter((s) => s.name.startsWith("execute_tool "));
    expect(tools.map((s) => s.attributes["gen_ai.tool.name"]).sort()).toEqual(["calculator", "current_time"]);
    for (const tool of tools) {
      expect(tool.attributes).toMatchObject({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": expect.any(String) });
    }

    // The SDK sends an idempotency key (grpc-js none): its claim in the store is a span of the RPC's.
    const claims = childrenOf(trace, server).filter((s) => s.name === "store.claim_idempotency_key");
    expect(claims).toHaveLength(name.includes("SDK") ? 1 : 0);

    // Nothing of the run escaped into another trace: every span the run made is accounted for.
    expect(trace).toHaveLength(1 + 1 + chats.length * 2 + tools.length + claims.length);
    // Prompt and completion text are not recorded by default.
    expect(JSON.stringify(trace.map((s) => s.attributes), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain("Asia/Tokyo?");
  });
});

describe("the sampling a turn asked for", () => {
  it("is on its chat span as sent to the model: the prompt's temperature and output-token limit", async () => {
    const prompts = createClient(PromptService, createGrpcTransport({ baseUrl: svc.url }));
    await prompts.registerPrompt({
      name: "sampled",
      content: { messages: [{ role: PromptRole.SYSTEM, template: "You answer briefly." }], temperature: 0.4, maxOutputTokens: 256 },
      activate: true,
    });
    receiver.clear();
    modelRequests.length = 0;
    const traceId = caller.traceIdPrefix + "5a3d";
    const client = createAgentClient({ baseUrl: svc.url, protocol: "connect" });
    try {
      await client.execute("Hello! Who are you?", { prompt: "sampled", headers: { traceparent: `00-${traceId}-${caller.spanId}-01` } });
    } finally {
      client.close();
    }
    const spans = await receiver.waitForSpans((all) => all.some((s) => s.traceId === traceId && s.kind === "server"));
    const chats = spans.filter((s) => s.traceId === traceId && s.name.startsWith("chat "));
    expect(chats.length).toBeGreaterThan(0);
    for (const chat of chats) {
      expect(chat.attributes).toMatchObject({ "gen_ai.request.temperature": 0.4, "gen_ai.request.max_tokens": 256 });
    }
    // What the spans say is what the model was sent.
    expect(modelRequests.length).toBe(chats.length);
    expect(modelRequests.map((request) => [request.temperature, request.maxTokens])).toEqual(chats.map(() => [0.4, 256]));
  });
});

describe("logs", () => {
  it("carry the run's trace id on every line of the run, and never a secret", () => {
    const runLines = svc.logs.filter((l) => typeof l["run_id"] === "string");
    expect(runLines.length).toBeGreaterThan(0);
    const byRun = new Map<string, Set<unknown>>();
    for (const line of runLines) {
      const ids = byRun.get(String(line["run_id"])) ?? new Set();
      ids.add(line["trace_id"]);
      byRun.set(String(line["run_id"]), ids);
      expect(line["trace_id"]).toMatch(/^[0-9a-f]{32}$/);
      expect(line["span_id"]).toMatch(/^[0-9a-f]{16}$/);
    }
    // One trace id per run.
    expect([...byRun.values()].every((ids) => ids.size === 1)).toBe(true);
    const everything = JSON.stringify(svc.logs);
    expect(everything).not.toContain("sk-test-secret-key-never-logged");
  });
});

describe("prompt and completion text on spans", () => {
  it("is recorded only when switched on, and then redacted", async () => {
    const withContent = await startTestService({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: "50",
      AGENT_TRACE_CONTENT: "true",
    });
    const client = createAgentClient({ baseUrl: withContent.url });
    try {
      const res = await client.execute("Mail the result of 6 * 7 to jane.doe@example.com, key sk-live-0123456789abcdef");
      const spans = await receiver.waitForSpans((all) => all.some((s) => s.traceId === res.traceId && s.kind === "server"));
      const chats = spans.filter((s) => s.traceId === res.traceId && s.name.startsWith("chat "));
      expect(chats.length).toBeGreaterThan(0);
      const input = String(chats[0]?.attributes["gen_ai.input.messages"]);
      expect(JSON.parse(input)).toContainEqual({
        role: "human",
        content: "Mail the result of 6 * 7 to [redacted:email], key [redacted:key]",
      });
      expect(input).not.toContain("jane.doe");
      expect(input).not.toContain("sk-live");
      const output = JSON.parse(String(chats.at(-1)?.attributes["gen_ai.output.messages"])) as { role: string; content: string }[];
      expect(output[0]?.role).toBe("assistant");
      expect(output[0]?.content).toContain("42");
    } finally {
      client.close();
      await withContent.close();
    }
  });
});
