import type { BatchObservableCallback, Meter } from "@opentelemetry/api";

/** `agent.cache.l1.entries`: model turns held in memory (L1). */
export const METRIC_AGENT_CACHE_L1_ENTRIES = "agent.cache.l1.entries";
/** `agent.cache.l1.bytes`: bytes held in memory (L1). */
export const METRIC_AGENT_CACHE_L1_BYTES = "agent.cache.l1.bytes";
/** `agent.cache.l2.degraded`: 1 while the Redis tier (L2) is unavailable and the cache serves from memory only, else 0. */
export const METRIC_AGENT_CACHE_L2_DEGRADED = "agent.cache.l2.degraded";

/**
 * The response cache's tiers at one moment, as the cache reports them
 * (`ResponseCacheState` of `server/model/cache/response-cache.ts`, restated
 * because telemetry is a leaf that imports no layer).
 */
export interface CacheTierReading {
  readonly l1: { readonly entries: number; readonly bytes: number };
  /** `disabled` when no Redis is configured: then no `agent.cache.l2.degraded` is reported. */
  readonly l2: "disabled" | "ready" | "degraded";
}

/**
 * Reports the cache's tier state at each collection: the size of the memory
 * tier, and whether the Redis tier is degraded. The counters only say that
 * Redis calls failed; while Redis stays down the cache stops calling it, so
 * only this gauge shows an outage that lasts (the `AgentCacheDegraded` alert
 * reads it). Returns a function that stops reporting.
 */
export function observeCacheTiers(meter: Meter, read: () => CacheTierReading): () => void {
  const entries = meter.createObservableGauge(METRIC_AGENT_CACHE_L1_ENTRIES, {
    description: "Model turns held in the response cache's memory tier (L1)",
    unit: "{entry}",
  });
  const bytes = meter.createObservableGauge(METRIC_AGENT_CACHE_L1_BYTES, {
    description: "Bytes held in the response cache's memory tier (L1)",
    unit: "By",
  });
  const degraded = meter.createObservableGauge(METRIC_AGENT_CACHE_L2_DEGRADED, {
    description: "1 while the response cache's Redis tier (L2) is unavailable and the cache serves from memory only, else 0",
    unit: "1",
  });
  // One reading per collection serves the three gauges.
  const callback: BatchObservableCallback = (result) => {
    const reading = read();
    result.observe(entries, reading.l1.entries);
    result.observe(bytes, reading.l1.bytes);
    if (reading.l2 !== "disabled") {
      result.observe(degraded, reading.l2 === "degraded" ? 1 : 0);
    }
  };
  const observables = [entries, bytes, degraded];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
