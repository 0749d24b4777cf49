import type { Attributes } from "@opentelemetry/api";
import { DataPointType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { beforeEach, describe, expect, it } from "vitest";
import { histogramViews } from "./histogram-views.js";
import { createServiceMetrics, type BreakerState, type ServiceMetrics } from "./service-metrics.js";

/** A reader the test pulls from, as Prometheus would. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** One point of one instrument: its attributes, and its value (a histogram's count). */
interface Point {
  readonly attributes: Attributes;
  readonly value: number;
}

describe("createServiceMetrics", () => {
  let reader: PullReader;
  let metrics: ServiceMetrics;

  beforeEach(() => {
    reader = new PullReader();
    const provider = new MeterProvider({ readers: [reader], views: histogramViews() });
    metrics = createServiceMetrics(provider.getMeter("test"));
  });

  async function points(instrument: string): Promise<Point[]> {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === instrument);
    if (metric === undefined) {
      return [];
    }
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      return metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value.count }));
    }
    if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
      return metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }));
    }
    throw new Error(`unexpected data point type of ${instrument}`);
  }

  it("sets error.type on failed model calls only, `_OTHER` when the failure was not classified", async () => {
    metrics.recordModelCall({ model: "m", outcome: "ok", errorType: "503", durationS: 1 });
    metrics.recordModelCall({ model: "m", outcome: "error", durationS: 1 });
    metrics.recordModelCall({ model: "m", outcome: "circuit_open", durationS: 0 });

    const calls = await points("gen_ai.client.operation.duration");

    expect(calls.map((p) => p.attributes)).toEqual(
      expect.arrayContaining([
        { "gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "agent.outcome": "ok" },
        { "gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "agent.outcome": "error", "error.type": "_OTHER" },
        { "gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "agent.outcome": "circuit_open" },
      ]),
    );
    expect(calls).toHaveLength(3);
  });

  it("records time to first token only for calls that streamed one", async () => {
    metrics.recordModelCall({ model: "m", outcome: "cache_hit", durationS: 0.001 });
    expect(await points("agent.model.time_to_first_token")).toEqual([]);

    metrics.recordModelCall({ model: "m", outcome: "ok", durationS: 2, timeToFirstTokenS: 0.4 });
    expect(await points("agent.model.time_to_first_token")).toEqual([{ attributes: { "gen_ai.request.model": "m" }, value: 1 }]);
  });

  it("records an unknown tool as `_OTHER`, so a model cannot add series by inventing names", async () => {
    metrics.recordToolCall({ tool: "rm -rf /", outcome: "unknown_tool", durationS: 0 });

    expect(await points("agent.tool.duration")).toEqual([
      { attributes: { "gen_ai.tool.name": "_OTHER", "agent.outcome": "unknown_tool" }, value: 1 },
    ]);
    expect(await points("agent.tool.errors")).toEqual([
      { attributes: { "gen_ai.tool.name": "_OTHER", "error.type": "unknown_tool" }, value: 1 },
    ]);
  });

  it("counts tool errors by outcome and never counts a success", async () => {
    metrics.recordToolCall({ tool: "calculator", outcome: "ok", durationS: 0.01 });
    metrics.recordToolCall({ tool: "calculator", outcome: "invalid_arguments", durationS: 0.01 });
    metrics.recordToolCall({ tool: "calculator", outcome: "invalid_arguments", durationS: 0.01 });

    expect(await points("agent.tool.errors")).toEqual([
      { attributes: { "gen_ai.tool.name": "calculator", "error.type": "invalid_arguments" }, value: 2 },
    ]);
  });

  it("splits tokens by type, adds the principal only to the summable counter, and sums cost", async () => {
    metrics.recordTokens({ model: "m", principal: "p", inputTokens: 100, outputTokens: 20, costUsd: 0.25 });
    metrics.recordTokens({ model: "m", principal: "p", inputTokens: 50, outputTokens: 5, costUsd: 0.5 });

    expect((await points("gen_ai.client.token.usage")).map((p) => p.attributes)).toEqual([
      { "gen_ai.request.model": "m", "gen_ai.token.type": "input" },
      { "gen_ai.request.model": "m", "gen_ai.token.type": "output" },
    ]);
    expect(await points("agent.tokens")).toEqual([
      { attributes: { "gen_ai.request.model": "m", "gen_ai.token.type": "input", "agent.principal": "p" }, value: 150 },
      { attributes: { "gen_ai.request.model": "m", "gen_ai.token.type": "output", "agent.principal": "p" }, value: 25 },
    ]);
    expect(await points("agent.cost")).toEqual([{ attributes: { "gen_ai.request.model": "m", "agent.principal": "p" }, value: 0.75 }]);
  });

  it("labels cache hits with their tier and other lookups without one", async () => {
    metrics.recordCacheLookup({ result: "hit", tier: "l1" });
    metrics.recordCacheLookup({ result: "coalesced" });

    expect(await points("agent.cache.lookups")).toEqual([
      { attributes: { "agent.result": "hit", "agent.cache.tier": "l1" }, value: 1 },
      { attributes: { "agent.result": "coalesced" }, value: 1 },
    ]);
  });

  it("counts runs in flight up on start and down when they finish", async () => {
    metrics.runStarted();
    metrics.runStarted();
    expect(await points("agent.runs.in_flight")).toEqual([{ attributes: {}, value: 2 }]);

    metrics.runFinished({ stopReason: "canceled", durationS: 0.5 });
    metrics.runFinished({ stopReason: "time_limit", durationS: 60 });

    expect(await points("agent.runs.in_flight")).toEqual([{ attributes: {}, value: 0 }]);
    expect((await points("agent.run.duration")).map((p) => p.attributes["agent.stop_reason"])).toEqual(["canceled", "time_limit"]);
  });

  it("labels RPCs with the Connect system, method and code, on both instruments", async () => {
    metrics.recordRpc({ method: "agent.v1.AgentService/Stream", code: "resource_exhausted", durationS: 0.001 });

    const attributes = {
      "rpc.system.name": "connectrpc",
      "rpc.method": "agent.v1.AgentService/Stream",
      "rpc.status_code": "resource_exhausted",
    };
    expect(await points("rpc.server.call.duration")).toEqual([{ attributes, value: 1 }]);
    expect(await points("rpc.server.requests")).toEqual([{ attributes, value: 1 }]);
  });

  it.each<[BreakerState, number]>([
    ["closed", 0],
    ["half-open", 1],
    ["open", 2],
  ])("reports a %s breaker as %i", async (state, value) => {
    metrics.observeBreakers(() => [{ model: "m", state }]);

    expect(await points("agent.model.breaker.state")).toEqual([{ attributes: { "gen_ai.request.model": "m" }, value }]);
  });

  it("reads the queue at each collection and stops reading once told to", async () => {
    let reads = 0;
    let queued = 3;
    const stop = metrics.observeQueued(() => {
      reads++;
      return queued;
    });
    expect(await points("agent.runs.queued")).toEqual([{ attributes: {}, value: 3 }]);

    queued = 5;
    expect(await points("agent.runs.queued")).toEqual([{ attributes: {}, value: 5 }]);
    expect(reads).toBe(2);

    stop();
    await points("agent.runs.queued");
    expect(reads).toBe(2);
  });
});
