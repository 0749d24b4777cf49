import { metrics } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { CacheEvent } from "./cache/index.js";

/**
 * Turns cache events into metrics (OpenTelemetry: exported once a meter
 * provider is configured) and logs. The cache itself logs tier state changes.
 */
export function createCacheObserver(logger: Logger): (event: CacheEvent) => void {
  const meter = metrics.getMeter("agent-service");
  const lookups = meter.createCounter("agent.cache.lookups", {
    description: "Response cache lookups by result (hit, miss, coalesced) and tier",
  });
  const l2Errors = meter.createCounter("agent.cache.l2.errors", {
    description: "Failed or timed-out Redis operations; the cache answered from memory instead",
  });
  return (event) => {
    switch (event.type) {
      case "hit":
        lookups.add(1, { result: "hit", tier: event.tier });
        return;
      case "miss":
        lookups.add(1, { result: "miss" });
        return;
      case "coalesced":
        lookups.add(1, { result: "coalesced" });
        return;
      case "l2-error":
        l2Errors.add(1, { operation: event.operation });
        // Only the error's name: ioredis errors carry command arguments, cached values included.
        logger.debug({ operation: event.operation, error: errorName(event.error) }, "redis cache operation failed");
        return;
      case "l2-state":
        return;
    }
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
