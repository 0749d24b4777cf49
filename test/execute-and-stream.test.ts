import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService, type StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { StopReason, ToolCallStatus } from "../gen/agent/v1/run_pb.js";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService;
let client: Client<typeof AgentService>;

beforeAll(async () => {
  // These tests compare runs of the same task, so every turn must reach the model.
  svc = await startTestService({ AGENT_CACHE: "off" });
  client = createClient(AgentService, createConnectTransport({ baseUrl: svc.url, httpVersion: "1.1" }));
});
afterAll(() => svc.close());

describe("Execute through the generated Connect client", () => {
  it("answers an arithmetic task with the calculator and a full summary", async () => {
    const res = await client.execute({ input: "What is 17 * 23?" });
    expect(res.output).toContain("391");
    expect(res.stopReason).toBe(StopReason.FINAL_ANSWER);
    expect(res.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(res.usage?.totalTokens).toBeGreaterThan(0);
    expect(res.usage?.totalTokens).toBe((res.usage?.inputTokens ?? 0) + (res.usage?.outputTokens ?? 0));
    expect(res.costUsd).toBeGreaterThan(0);
    expect(res.model).toBe("sim-small");
    expect(res.fallbackUsed).toBe(false);
    expect(res.promptVersion).toMatch(/^default@[0-9a-f]{16}$/);
    expect(res.iterations).toBe(2);
    const tool = res.steps.find((s) => s.kind.case === "toolCall")?.kind.value;
    expect(tool).toMatchObject({ name: "calculator", status: ToolCallStatus.OK, result: "391" });
    expect(JSON.parse(tool?.$typeName === "agent.v1.ToolCall" ? tool.arguments : "{}")).toEqual({ expression: "17 * 23" });
  });

  it("answers as JSON to plain HTTP, the way curl calls it", async () => {
    const res = await fetch(`${svc.url}/agent.v1.AgentService/Execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "What is 17 * 23?" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body["output"]).toContain("391");
    expect(body["stopReason"]).toBe("STOP_REASON_FINAL_ANSWER");
    expect(body).toHaveProperty("runId");
    expect(body).toHaveProperty("traceId");
    expect(body).toHaveProperty("usage");
    expect(JSON.stringify(body["steps"])).toContain('"name":"calculator"');
  });

  it("continues the caller's W3C trace", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await client.execute(
      { input: "What is 2 + 2?" },
      { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
    );
    expect(res.traceId).toBe(traceId);
    const lines = svc.logs.filter((l) => l["run_id"] === res.runId);
    expect(lines.map((l) => l["msg"])).toEqual(["run started", "model call", "tool call", "model call", "run finished"]);
    for (const line of lines) {
      expect(line).toMatchObject({ trace_id: traceId, principal: "dev" });
      expect(line["span_id"]).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(lines[1]).toMatchObject({ model: "sim-small", attempt: 1, outcome: "ok" });
    expect(lines[2]).toMatchObject({ tool: "calculator", outcome: "ok" });
  });

  it("writes each id of a run's log lines once (regression: span_id twice, which log pipelines collapse)", async () => {
    const res = await client.execute({ input: "What is 17 * 23?" });
    // Parsed JSON keeps only the last of two equal keys: count in the raw lines.
    const lines = svc.rawLogs.filter((line) => line.includes(`"run_id":"${res.runId}"`));
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      for (const key of ["trace_id", "span_id", "run_id", "principal"]) {
        expect(line.split(`"${key}":`).length - 1, `${key} in ${line}`).toBe(1);
      }
    }
  });

  it("runs several tools of one turn and answers with every result", async () => {
    const res = await client.execute({ input: "What is 6 * 7, and what time is it in Asia/Tokyo?" });
    const tools = res.steps.flatMap((s) => (s.kind.case === "toolCall" ? [s.kind.value.name] : []));
    expect(tools.sort()).toEqual(["calculator", "current_time"]);
    expect(res.output).toContain("42");
    expect(res.output).toContain("Asia/Tokyo");
  });

  it("looks up stock in the bundled catalogue", async () => {
    const res = await client.execute({ input: "How many SKU-1001 are in stock?" });
    const tool = res.steps.find((s) => s.kind.case === "toolCall")?.kind.value;
    expect(tool).toMatchObject({ name: "inventory_lookup", status: ToolCallStatus.OK });
    expect(res.stopReason).toBe(StopReason.FINAL_ANSWER);
  });

  it("stops at the caller's max_iterations with MAX_ITERATIONS", async () => {
    const res = await client.execute({ input: "#loop keep going", maxIterations: 3 });
    expect(res.stopReason).toBe(StopReason.MAX_ITERATIONS);
    expect(res.iterations).toBe(3);
    expect(res.output).toBe("");
  });

  it("feeds invalid tool arguments back and still answers", async () => {
    svc.simulator.setFaults([{ kind: "invalid-tool-arguments", times: 1 }]);
    try {
      const res = await client.execute({ input: "What is 17 * 23?" });
      const statuses = res.steps.flatMap((s) => (s.kind.case === "toolCall" ? [s.kind.value.status] : []));
      expect(statuses).toEqual([ToolCallStatus.INVALID_ARGUMENTS, ToolCallStatus.OK]);
      expect(res.output).toContain("391");
    } finally {
      svc.simulator.clearFaults();
    }
  });
});

describe("Stream", () => {
  it("sends run started, tool calls, text deltas and the summary, in order", async () => {
    const events: StreamResponse[] = [];
    for await (const event of client.stream({ input: "What is 17 * 23?" })) {
      events.push(event);
    }
    const order = events.map((e) => e.event.case);
    expect(order[0]).toBe("runStarted");
    expect(order.at(-1)).toBe("runCompleted");
    const started = order.indexOf("toolCallStarted");
    const finished = order.indexOf("toolCallFinished");
    const firstDelta = order.indexOf("textDelta");
    expect(started).toBeGreaterThan(0);
    expect(finished).toBeGreaterThan(started);
    expect(firstDelta).toBeGreaterThan(finished);

    const text = events.flatMap((e) => (e.event.case === "textDelta" ? [e.event.value.text] : [])).join("");
    const last = events.at(-1)?.event;
    const summary = last?.case === "runCompleted" ? last.value.result : undefined;
    expect(summary?.output).toBe(text);
    expect(summary?.output).toContain("391");
  });

  it("ends with the same summary Execute returns for the same task", async () => {
    const executed = await client.execute({ input: "What is 12 * 12?" });
    let streamed;
    for await (const event of client.stream({ input: "What is 12 * 12?" })) {
      if (event.event.case === "runCompleted") {
        streamed = event.event.value.result;
      }
    }
    const comparable = (r: typeof executed | undefined) => ({
      output: r?.output,
      stopReason: r?.stopReason,
      usage: r?.usage,
      costUsd: r?.costUsd,
      model: r?.model,
      iterations: r?.iterations,
      steps: r?.steps.map((s) =>
        s.kind.case === "toolCall"
          ? { tool: s.kind.value.name, result: s.kind.value.result }
          : { model: s.kind.value?.model, text: s.kind.value?.text },
      ),
    });
    expect(comparable(streamed)).toEqual(comparable(executed));
  });
});
