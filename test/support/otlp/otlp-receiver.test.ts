import { gzipSync } from "node:zlib";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { childrenOf, findSpan, startOtlpReceiver, type OtlpReceiver } from "./index.js";
import { loadOtlpTraceSchema } from "./otlp-trace-schema.js";

let receiver: OtlpReceiver;
let providers: TracerProvider[] = [];

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  await Promise.all(providers.map((provider) => provider.shutdown()));
  providers = [];
  await receiver.close();
});

/** A real SDK exporting each span to the receiver as soon as it ends. */
function startTracing(): { tracer: Tracer; provider: TracerProvider } {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "otlp-receiver-test" }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }) })],
  });
  providers.push(provider);
  return { tracer: provider.getTracer("otlp-receiver-test", "1.2.3"), provider };
}

function postTraces(body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${receiver.url}/v1/traces`, { method: "POST", headers, body });
}

const protobufHeaders = { "content-type": "application/x-protobuf" };

describe("spans exported by the OpenTelemetry SDK", () => {
  it("arrive with their ids, kinds, attributes, status, events, links, resource and scope", async () => {
    const { tracer, provider } = startTracing();
    const linkedContext = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1 };
    const parent = tracer.startSpan("agent.run", {
      kind: SpanKind.SERVER,
      attributes: { "rpc.method": "Execute" },
      links: [{ context: linkedContext, attributes: { "link.reason": "batch" } }],
    });
    const child = tracer.startSpan(
      "model.invoke",
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "llm.model": "sim-small",
          "llm.tokens": 42,
          "llm.temperature": 0.25,
          "llm.cached": false,
          "llm.stop": ["\n", "END"],
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.addEvent("retry", { attempt: 2, reason: "rate limited" });
    child.setStatus({ code: SpanStatusCode.ERROR, message: "upstream timed out" });
    child.end();
    parent.end();
    await provider.forceFlush();

    const spans = receiver.spans();
    const run = findSpan(spans, "agent.run");
    const invoke = findSpan(spans, "model.invoke");
    expect(run).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      parentSpanId: undefined,
      kind: "server",
      attributes: { "rpc.method": "Execute" },
      status: { code: "unset", message: "" },
      events: [],
      links: [
        {
          traceId: linkedContext.traceId,
          spanId: linkedContext.spanId,
          traceState: "",
          attributes: { "link.reason": "batch" },
        },
      ],
    });
    expect(invoke).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      kind: "client",
      attributes: {
        "llm.model": "sim-small",
        "llm.tokens": 42,
        "llm.temperature": 0.25,
        "llm.cached": false,
        "llm.stop": ["\n", "END"],
      },
      status: { code: "error", message: "upstream timed out" },
      events: [{ name: "retry", attributes: { attempt: 2, reason: "rate limited" } }],
    });
    for (const span of [run, invoke]) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.resource["service.name"]).toBe("otlp-receiver-test");
      expect(span.scope).toEqual({ name: "otlp-receiver-test", version: "1.2.3" });
      expect(span.flags & 0xff).toBe(1); // sampled
      expect(span.startTimeUnixNano).toBeGreaterThan(0n);
      expect(span.endTimeUnixNano).toBeGreaterThanOrEqual(span.startTimeUnixNano);
    }
    expect(childrenOf(spans, run)).toEqual([invoke]);
    expect(receiver.trace(run.traceId.toUpperCase())).toHaveLength(2);
    // SimpleSpanProcessor exports each span on its own.
    expect(receiver.requests()).toBe(2);
  });

  it("arrive when the exporter compresses them with gzip", async () => {
    vi.stubEnv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip");
    const { tracer, provider } = startTracing();
    tracer.startSpan("compressed").end();
    await provider.forceFlush();

    expect(findSpan(receiver.spans(), "compressed").resource["service.name"]).toBe("otlp-receiver-test");
  });
});

describe("waitForSpans", () => {
  it("resolves at once when spans already received match", async () => {
    const { tracer, provider } = startTracing();
    tracer.startSpan("early").end();
    await provider.forceFlush();

    const spans = await receiver.waitForSpans((received) => received.some((span) => span.name === "early"));

    expect(spans.map((span) => span.name)).toEqual(["early"]);
  });

  it("resolves when matching spans arrive after the call", async () => {
    const { tracer } = startTracing();
    const arrived = receiver.waitForSpans((received) => received.length === 2);

    tracer.startSpan("first").end();
    tracer.startSpan("second").end();

    // Each span goes out in its own request, so they may arrive in either order.
    expect((await arrived).map((span) => span.name).sort()).toEqual(["first", "second"]);
  });

  it("rejects after the default timeout with the names of the spans received", async () => {
    const { tracer, provider } = startTracing();
    tracer.startSpan("agent.run").end();
    await provider.forceFlush();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });

    const waiting = receiver.waitForSpans((received) => received.some((span) => span.name === "tool.call"));
    const rejection = expect(waiting).rejects.toThrow(
      'waitForSpans timed out after 10000 ms; received 1 span: "agent.run" in 1 trace export request(s)',
    );
    vi.advanceTimersByTime(10_000);

    await rejection;
  });

  it("rejects when the receiver closes first", async () => {
    const waiting = receiver.waitForSpans(() => false);
    const rejection = expect(waiting).rejects.toThrow("OTLP receiver closed while waiting for spans; received no spans");

    await receiver.close();

    await rejection;
  });
});

describe("findSpan", () => {
  it("names the spans received when none matches", async () => {
    const { tracer, provider } = startTracing();
    tracer.startSpan("agent.run").end();
    await provider.forceFlush();

    expect(() => findSpan(receiver.spans(), "tool.call")).toThrow(
      'no span named "tool.call"; received 1 span: "agent.run"',
    );
  });
});

describe("requests the receiver turns down", () => {
  it.each([
    {
      reason: "an OTLP/JSON content type",
      send: () => postTraces("{}", { "content-type": "application/json" }),
      status: 415,
      message: 'content-type must be application/x-protobuf, not "application/json"',
    },
    {
      reason: "an unsupported content-encoding",
      send: () => postTraces(new Uint8Array(), { ...protobufHeaders, "content-encoding": "br" }),
      status: 415,
      message: 'content-encoding must be gzip or absent, not "br"',
    },
    {
      reason: "a body that is not protobuf",
      send: () => postTraces(Buffer.from("not protobuf at all"), protobufHeaders),
      status: 400,
      message: "body is not an ExportTraceServiceRequest",
    },
    {
      reason: "a gzip content-encoding on a body that is not gzip",
      send: () => postTraces(new Uint8Array([1, 2, 3]), { ...protobufHeaders, "content-encoding": "gzip" }),
      status: 400,
      message: "content-encoding is gzip but the body does not gunzip",
    },
    {
      reason: "a method other than POST",
      send: () => fetch(`${receiver.url}/v1/traces`),
      status: 405,
      message: "/v1/traces accepts POST only, not GET",
    },
    {
      reason: "a path that is not an OTLP signal",
      send: () => fetch(`${receiver.url}/v1/profiles`, { method: "POST", body: "" }),
      status: 404,
      message: "no OTLP endpoint at /v1/profiles",
    },
  ])("answers $status to $reason and records nothing", async ({ send, status, message }) => {
    const response = await send();

    expect(response.status).toBe(status);
    expect(await response.text()).toContain(message);
    expect(receiver.requests()).toBe(0);
    expect(receiver.spans()).toEqual([]);
  });

  it("keeps accepting exports after a body that is not protobuf", async () => {
    const rejected = await postTraces(Uint8Array.of(0x0a, 0x05, 0x01), protobufHeaders);
    expect(rejected.status).toBe(400);

    const { tracer, provider } = startTracing();
    tracer.startSpan("after-garbage").end();
    await provider.forceFlush();

    expect(receiver.spans().map((span) => span.name)).toEqual(["after-garbage"]);
    expect(receiver.requests()).toBe(1);
  });
});

describe.each(["metrics", "logs"] as const)("POST /v1/%s", (signal) => {
  it("is answered 200 and only counted", async () => {
    const response = await fetch(`${receiver.url}/v1/${signal}`, {
      method: "POST",
      headers: protobufHeaders,
      body: Uint8Array.of(0x0a, 0x00),
    });

    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    expect(receiver.requests(signal)).toBe(1);
    expect(receiver.requests()).toBe(0);
  });
});

describe("decoding exports no SDK in this service produces", () => {
  const schema = loadOtlpTraceSchema();
  const traceId = "0af7651916cd43dd8448eb211c80319c";

  function exportWith(attributes: { key: string; value: Record<string, unknown> }[]): Uint8Array {
    return schema.encodeExportRequest({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(traceId, "hex"), name: "raw", attributes }] }] }],
    });
  }

  it.each([
    { kind: "a safe int64", value: { intValue: "-5" }, expected: -5 },
    { kind: "an int64 beyond 2^53", value: { intValue: "9007199254740993" }, expected: 9007199254740993n },
    { kind: "bytes", value: { bytesValue: Uint8Array.of(1, 2) }, expected: Uint8Array.of(1, 2) },
    { kind: "the empty value", value: {}, expected: null },
    {
      kind: "a key/value list",
      value: { kvlistValue: { values: [{ key: "inner", value: { boolValue: true } }] } },
      expected: { inner: true },
    },
    {
      kind: "a mixed array",
      value: { arrayValue: { values: [{ stringValue: "a" }, { intValue: 1 }, { doubleValue: 1.5 }] } },
      expected: ["a", 1, 1.5],
    },
  ])("flattens $kind", async ({ value, expected }) => {
    const response = await postTraces(exportWith([{ key: "attribute", value }]), protobufHeaders);

    expect(response.status).toBe(200);
    expect(receiver.spans()[0]?.attributes["attribute"]).toEqual(expected);
  });

  it("answers an accepted export with an empty body and fills what the request left unset", async () => {
    const body = gzipSync(exportWith([]));
    const response = await postTraces(body, { ...protobufHeaders, "content-encoding": "gzip" });

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-protobuf");
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    expect(receiver.spans()).toEqual([
      {
        traceId,
        spanId: "",
        parentSpanId: undefined,
        traceState: "",
        flags: 0,
        name: "raw",
        kind: "unspecified",
        startTimeUnixNano: 0n,
        endTimeUnixNano: 0n,
        attributes: {},
        status: { code: "unset", message: "" },
        events: [],
        links: [],
        resource: {},
        scope: { name: "", version: "" },
      },
    ]);
  });
});
