import { toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentClient, type AgentClient, type StreamResponse } from "../client/index.js";
import { StreamResponseSchema } from "../gen/agent/v1/agent_service_pb.js";
import { GetRunResponseSchema } from "../gen/agent/v1/run_service_pb.js";
import { createBuiltinTools, createInventoryLookupTool } from "../server/agent/tools/index.js";
import { splitWords } from "../server/simulator/sse.js";
import { startOtlpReceiver, type OtlpReceiver } from "./support/otlp/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Output redaction through the real server: a tool returns a card number, an
// email and an API key; the model quotes them in its answer, streamed a word
// or so per delta, so each secret is split across deltas. None of them may
// reach the stream, Execute's answer, the stored run, the logs or the spans.

const secrets = { card: "4111 1111 1111 1111", email: "ada.lovelace@example.com", apiKey: "sk-proj-Zq81XbT3kLm09PqRsTuVwXyZ1234abcd" };

let svc: TestService;
let receiver: OtlpReceiver;
let agent: AgentClient;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const inventory = createInventoryLookupTool({
    catalogue: [
      {
        sku: "SKU-7007",
        name: `Gift card ${secrets.card} for ${secrets.email} (activation key ${secrets.apiKey})`,
        category: "Gifts",
        unitPrice: 50,
        currency: "USD",
        quantityInStock: 1,
        warehouse: "Turin",
      },
    ],
  });
  const tools = [...createBuiltinTools().filter((tool) => tool.name !== "inventory_lookup"), inventory];
  svc = await startTestService(
    { AGENT_CACHE: "off", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "50", AGENT_TRACE_CONTENT: "true" },
    { runtime: { tools } },
  );
  agent = createAgentClient({ baseUrl: svc.url, protocol: "connect", timeoutMs: 20_000, retries: 0 });
});

afterAll(async () => {
  agent.close();
  await svc.close();
  await receiver.close();
});

const leaks = (text: string) => Object.entries(secrets).filter(([, value]) => text.includes(value) || text.includes(value.replaceAll(" ", "")));

describe("sensitive data in a run's output", () => {
  it("is redacted in the stream, split across deltas, in Execute, in the stored run, in the logs and in the spans", async () => {
    const events: StreamResponse[] = [];
    for await (const event of agent.stream("Is SKU-7007 in stock?", { textDeltas: "live" })) {
      events.push(event);
    }
    const deltas = events.flatMap((e) => (e.event.case === "textDelta" ? [e.event.value.text] : []));
    const streamed = deltas.join("");
    // The simulator streams a word per delta: the card arrived in four, the sentence in many; what
    // reaches the caller is fewer, longer deltas where text was held back, with whole placeholders.
    expect(splitWords(secrets.card)).toHaveLength(4);
    expect(deltas.length).toBeGreaterThan(1);
    expect(streamed).toContain("[REDACTED:card]");
    expect(streamed).toContain("[REDACTED:email]");
    expect(streamed).toContain("[REDACTED:api_key]");
    expect(leaks(streamed)).toEqual([]);
    const completed = events.at(-1);
    expect(completed?.event.case).toBe("runCompleted");
    const runId = completed?.event.case === "runCompleted" ? (completed.event.value.result?.runId ?? "") : "";

    const executed = await agent.execute("Is SKU-7007 in stock?", { bypassCache: true });
    expect(executed.output).toContain("[REDACTED:card]");
    const stored = await agent.getRun(runId, { includeEvents: true });
    const everything = [
      ...events.map((e) => toJsonString(StreamResponseSchema, e)),
      JSON.stringify(executed, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
      toJsonString(GetRunResponseSchema, stored),
      ...svc.rawLogs,
    ].join("\n");
    expect(leaks(everything)).toEqual([]);
    const spans = await receiver.waitForSpans((received) => received.some((span) => span.name.startsWith("execute_tool")));
    expect(leaks(JSON.stringify(spans, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)))).toEqual([]);
  });
});
