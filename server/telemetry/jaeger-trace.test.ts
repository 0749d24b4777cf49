import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isMalformedSpanLineError, readStoredSpans, toJaegerJson } from "./jaeger-trace.js";
import type { StoredSpan } from "./stored-span.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const serviceResource = { "service.name": "agent-service", "service.version": "1.2.3" };

const root: StoredSpan = {
  traceId,
  spanId: "00f067aa0ba902b7",
  name: "invoke_agent",
  kind: "server",
  startTimeUnixNano: "1700000000123456789",
  endTimeUnixNano: "1700000001000000000",
  attributes: { "gen_ai.agent.name": "calculator-agent" },
  status: { code: "ok" },
  events: [],
  resource: serviceResource,
  scope: { name: "agent-service", version: "1.2.3" },
};

const chat: StoredSpan = {
  traceId,
  spanId: "b7ad6b7169203331",
  parentSpanId: "00f067aa0ba902b7",
  name: "chat gpt-4o-mini",
  kind: "client",
  startTimeUnixNano: "1700000000200000001",
  endTimeUnixNano: "1700000000900000999",
  attributes: {
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.request.temperature": 0.25,
    "gen_ai.response.streamed": true,
    "gen_ai.response.finish_reasons": ["stop", "length"],
  },
  status: { code: "error", message: "upstream 503" },
  events: [{ name: "retry", timeUnixNano: "1700000000300000500", attributes: { attempt: 2 } }],
  resource: serviceResource,
  scope: { name: "agent-service" },
};

const tool: StoredSpan = {
  traceId,
  spanId: "c8be7c827a314442",
  parentSpanId: "00f067aa0ba902b7",
  name: "execute_tool calculator",
  kind: "internal",
  startTimeUnixNano: "1700000000950000000",
  endTimeUnixNano: "1700000000950002000",
  attributes: {},
  status: { code: "unset" },
  events: [],
  // Same attributes in another order: the same process.
  resource: { "service.version": "1.2.3", "service.name": "agent-service" },
  scope: { name: "agent-service" },
};

const downstream: StoredSpan = {
  traceId,
  spanId: "d9cf8d938b425553",
  parentSpanId: "b7ad6b7169203331",
  name: "POST /v1/chat/completions",
  kind: "server",
  startTimeUnixNano: "1700000000210000000",
  endTimeUnixNano: "1700000000890000000",
  attributes: {},
  status: { code: "unset" },
  events: [],
  resource: { "service.name": "model-gateway", "deployment.environment": "staging", "host.ids": ["a", "b"] },
  scope: { name: "gateway" },
};

describe("toJaegerJson", () => {
  const file = toJaegerJson([tool, chat, downstream, root]);
  const jaegerTrace = file.data[0];
  const spanNamed = (name: string) => jaegerTrace?.spans.find((span) => span.operationName === name);

  it("wraps one trace in the query API's envelope", () => {
    expect(file).toMatchObject({ total: 0, limit: 0, offset: 0, errors: null });
    expect(file.data).toHaveLength(1);
    expect(jaegerTrace).toMatchObject({ traceID: traceId, warnings: null });
  });

  it("sorts spans by start time", () => {
    expect(jaegerTrace?.spans.map((span) => span.operationName)).toEqual([
      "invoke_agent",
      "chat gpt-4o-mini",
      "POST /v1/chat/completions",
      "execute_tool calculator",
    ]);
  });

  it("converts a root span with times in microseconds and kind and status tags", () => {
    expect(spanNamed("invoke_agent")).toEqual({
      traceID: traceId,
      spanID: "00f067aa0ba902b7",
      flags: 1,
      operationName: "invoke_agent",
      references: [],
      startTime: 1_700_000_000_123_456,
      duration: 876_543,
      tags: [
        { key: "gen_ai.agent.name", type: "string", value: "calculator-agent" },
        { key: "span.kind", type: "string", value: "server" },
        { key: "otel.status_code", type: "string", value: "OK" },
        { key: "otel.scope.name", type: "string", value: "agent-service" },
        { key: "otel.scope.version", type: "string", value: "1.2.3" },
      ],
      logs: [],
      processID: "p1",
      warnings: null,
    });
  });

  it("refers a child to its parent and types its tags, error tags and logs", () => {
    expect(spanNamed("chat gpt-4o-mini")).toEqual({
      traceID: traceId,
      spanID: "b7ad6b7169203331",
      flags: 1,
      operationName: "chat gpt-4o-mini",
      references: [{ refType: "CHILD_OF", traceID: traceId, spanID: "00f067aa0ba902b7" }],
      startTime: 1_700_000_000_200_000,
      duration: 700_000,
      tags: [
        { key: "gen_ai.request.model", type: "string", value: "gpt-4o-mini" },
        { key: "gen_ai.usage.input_tokens", type: "int64", value: 120 },
        { key: "gen_ai.request.temperature", type: "float64", value: 0.25 },
        { key: "gen_ai.response.streamed", type: "bool", value: true },
        { key: "gen_ai.response.finish_reasons", type: "string", value: '["stop","length"]' },
        { key: "span.kind", type: "string", value: "client" },
        { key: "error", type: "bool", value: true },
        { key: "otel.status_code", type: "string", value: "ERROR" },
        { key: "otel.status_description", type: "string", value: "upstream 503" },
        { key: "otel.scope.name", type: "string", value: "agent-service" },
      ],
      logs: [
        {
          timestamp: 1_700_000_000_300_000,
          fields: [
            { key: "event", type: "string", value: "retry" },
            { key: "attempt", type: "int64", value: 2 },
          ],
        },
      ],
      processID: "p1",
      warnings: null,
    });
  });

  it("makes one process per distinct resource, named by service.name", () => {
    expect(jaegerTrace?.processes).toEqual({
      p1: { serviceName: "agent-service", tags: [{ key: "service.version", type: "string", value: "1.2.3" }] },
      p2: {
        serviceName: "model-gateway",
        tags: [
          { key: "deployment.environment", type: "string", value: "staging" },
          { key: "host.ids", type: "string", value: '["a","b"]' },
        ],
      },
    });
    expect(spanNamed("execute_tool calculator")?.processID).toBe("p1");
    expect(spanNamed("POST /v1/chat/completions")?.processID).toBe("p2");
  });

  it("names a process without service.name unknown_service", () => {
    const [onlyTrace] = toJaegerJson([{ ...root, resource: {} }]).data;
    expect(onlyTrace?.processes).toEqual({ p1: { serviceName: "unknown_service", tags: [] } });
  });

  it("gives one trace per trace id", () => {
    const otherTraceId = "0af7651916cd43dd8448eb211c80319c";
    const traces = toJaegerJson([root, { ...tool, traceId: otherTraceId, parentSpanId: undefined }]).data;
    expect(traces.map((entry) => [entry.traceID, entry.spans.length])).toEqual([
      [traceId, 1],
      [otherTraceId, 1],
    ]);
  });
});

describe("readStoredSpans", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "jaeger-trace-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function readAll(path: string): Promise<StoredSpan[]> {
    const spans: StoredSpan[] = [];
    for await (const span of readStoredSpans(path)) {
      spans.push(span);
    }
    return spans;
  }

  it("reads every line, skipping blank ones and taking CRLF and a last line without newline", async () => {
    const path = join(dir, "spans.jsonl");
    await writeFile(path, `${JSON.stringify(root)}\r\n\n   \n${JSON.stringify(chat)}`);

    expect(await readAll(path)).toEqual([root, chat]);
  });

  describe.each([
    { malformation: "text that is not JSON", line: "{not json", reason: /JSON/ },
    { malformation: "a span without a trace id", line: JSON.stringify({ ...root, traceId: undefined }), reason: /traceId/ },
    { malformation: "a time as a JSON number", line: JSON.stringify({ ...root, endTimeUnixNano: 1 }), reason: /endTimeUnixNano/ },
  ])("on $malformation", ({ line, reason }) => {
    it("throws an error naming the line number", async () => {
      const path = join(dir, "spans.jsonl");
      await writeFile(path, `${JSON.stringify(root)}\n\n${line}\n${JSON.stringify(chat)}\n`);

      const error: unknown = await readAll(path).catch((caught: unknown) => caught);

      expect(isMalformedSpanLineError(error)).toBe(true);
      expect(error).toMatchObject({ lineNumber: 3, message: expect.stringContaining("line 3") });
      expect(error).toMatchObject({ message: expect.stringMatching(reason) });
    });
  });

  it("rejects with the file system's error when the file does not exist", async () => {
    await expect(readAll(join(dir, "missing.jsonl"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
