import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readStoredSpans } from "./jaeger-trace.js";
import { createSpanFileExporter } from "./span-file-exporter.js";
import type { StoredSpan } from "./stored-span.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "span-file-exporter-"));
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

/** Exports through `exporter` and resolves with the result it reports. */
function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** Finished spans of the SDK, captured in memory, to hand to the exporter directly. */
function finishedSpans(names: readonly string[]): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer("test");
  for (const name of names) {
    tracer.startSpan(name).end();
  }
  return memory.getFinishedSpans();
}

describe("createSpanFileExporter", () => {
  it("writes a parent and child trace that reads back with every field", async () => {
    const path = join(dir, "nested", "spans.jsonl");
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": "agent-service", "service.version": "1.2.3" }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: createSpanFileExporter(path) })],
    });
    const tracer = provider.getTracer("agent-service", "1.2.3");

    const parent = tracer.startSpan("invoke_agent", { kind: SpanKind.SERVER, startTime: [1_700_000_000, 123_456_789] });
    const child = tracer.startSpan(
      "chat gpt-4o-mini",
      {
        kind: SpanKind.CLIENT,
        startTime: [1_700_000_000, 200_000_001],
        attributes: {
          "gen_ai.request.model": "gpt-4o-mini",
          "gen_ai.usage.input_tokens": 120,
          "gen_ai.request.temperature": 0.25,
          "gen_ai.response.streamed": true,
          "gen_ai.response.finish_reasons": ["stop", "length"],
          "retry.delays_ms": [100, 250],
        },
      },
      trace.setSpan(context.active(), parent),
    );
    child.addEvent("gen_ai.choice", { index: 0 }, [1_700_000_000, 300_000_000]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: "upstream 503" });
    child.end([1_700_000_000, 900_000_999]);
    parent.end([1_700_000_001, 0]);
    await provider.shutdown();

    const [storedChild, storedParent] = await readAll(path);
    const resource = { "service.name": "agent-service", "service.version": "1.2.3" };
    const scope = { name: "agent-service", version: "1.2.3" };
    expect(storedParent).toEqual({
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      name: "invoke_agent",
      kind: "server",
      startTimeUnixNano: "1700000000123456789",
      endTimeUnixNano: "1700000001000000000",
      attributes: {},
      status: { code: "unset" },
      events: [],
      resource,
      scope,
    });
    expect(storedChild).toEqual({
      traceId: parent.spanContext().traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
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
        "retry.delays_ms": [100, 250],
      },
      status: { code: "error", message: "upstream 503" },
      events: [{ name: "gen_ai.choice", timeUnixNano: "1700000000300000000", attributes: { index: 0 } }],
      resource,
      scope,
    });
  });

  it("appends each batch as whole lines after what the file already holds", async () => {
    const path = join(dir, "spans.jsonl");
    await writeFile(path, "\n");
    const exporter = createSpanFileExporter(path);

    const results = await Promise.all([
      exportSpans(exporter, finishedSpans(["first", "second"])),
      exportSpans(exporter, finishedSpans(["third"])),
    ]);

    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }, { code: ExportResultCode.SUCCESS }]);
    expect((await readAll(path)).map((span) => span.name)).toEqual(["first", "second", "third"]);
  });

  it("keeps values JSON cannot hold as text", async () => {
    const path = join(dir, "spans.jsonl");
    const memory = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
    provider
      .getTracer("test")
      .startSpan("odd values", { attributes: { ratio: Number.NaN, limit: Number.POSITIVE_INFINITY, gaps: ["a", null] } })
      .end();

    await exportSpans(createSpanFileExporter(path), memory.getFinishedSpans());

    const [span] = await readAll(path);
    expect(span?.attributes).toEqual({ ratio: "NaN", limit: "Infinity", gaps: '["a",null]' });
  });

  it("waits for pending writes on forceFlush", async () => {
    const path = join(dir, "spans.jsonl");
    const exporter = createSpanFileExporter(path);

    exporter.export(finishedSpans(["pending"]), () => undefined);
    await exporter.forceFlush?.();

    expect(await readFile(path, "utf8")).toContain('"name":"pending"');
  });

  it("reports FAILED without throwing when the file cannot be written", async () => {
    const notADirectory = join(dir, "file");
    await writeFile(notADirectory, "");
    const exporter = createSpanFileExporter(join(notADirectory, "spans.jsonl"));

    const result = await exportSpans(exporter, finishedSpans(["lost"]));

    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toBeInstanceOf(Error);
  });

  it("fails exports after shutdown, once pending writes are done", async () => {
    const path = join(dir, "spans.jsonl");
    const exporter = createSpanFileExporter(path);
    exporter.export(finishedSpans(["before"]), () => undefined);

    await exporter.shutdown();
    const result = await exportSpans(exporter, finishedSpans(["after"]));

    expect(result.code).toBe(ExportResultCode.FAILED);
    expect((await readAll(path)).map((span) => span.name)).toEqual(["before"]);
  });
});
