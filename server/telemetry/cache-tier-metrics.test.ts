import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import {
  METRIC_AGENT_CACHE_L1_BYTES,
  METRIC_AGENT_CACHE_L1_ENTRIES,
  METRIC_AGENT_CACHE_L2_DEGRADED,
  observeCacheTiers,
  type CacheTierReading,
} from "./cache-tier-metrics.js";

/** A reader the test pulls from, as Prometheus would. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** Each instrument's single value at one collection. */
async function collect(reader: PullReader): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  return Object.fromEntries(
    resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .flatMap((metric) => metric.dataPoints.map((point) => [metric.descriptor.name, point.value as number])),
  );
}

describe("observeCacheTiers", () => {
  it("reports the memory tier's size and whether Redis is degraded, as the cache reads at each collection", async () => {
    const reader = new PullReader();
    let reading: CacheTierReading = { l1: { entries: 3, bytes: 4096 }, l2: "ready" };
    let reads = 0;
    const stop = observeCacheTiers(new MeterProvider({ readers: [reader] }).getMeter("test"), () => {
      reads++;
      return reading;
    });
    expect(await collect(reader)).toEqual({ [METRIC_AGENT_CACHE_L1_ENTRIES]: 3, [METRIC_AGENT_CACHE_L1_BYTES]: 4096, [METRIC_AGENT_CACHE_L2_DEGRADED]: 0 });
    reading = { l1: { entries: 5, bytes: 8192 }, l2: "degraded" };
    expect(await collect(reader)).toEqual({ [METRIC_AGENT_CACHE_L1_ENTRIES]: 5, [METRIC_AGENT_CACHE_L1_BYTES]: 8192, [METRIC_AGENT_CACHE_L2_DEGRADED]: 1 });
    // One reading per collection serves the three gauges; once stopped, the cache is not read.
    expect(reads).toBe(2);
    stop();
    await collect(reader);
    expect(reads).toBe(2);
  });

  it("reports no Redis state when no Redis is configured", async () => {
    const reader = new PullReader();
    observeCacheTiers(new MeterProvider({ readers: [reader] }).getMeter("test"), () => ({ l1: { entries: 0, bytes: 0 }, l2: "disabled" }));
    expect(Object.keys(await collect(reader)).sort()).toEqual([METRIC_AGENT_CACHE_L1_BYTES, METRIC_AGENT_CACHE_L1_ENTRIES]);
  });
});
