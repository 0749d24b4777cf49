import type { Logger } from "pino";
import type { ServiceMetrics } from "./service-metrics.js";
import type { CacheEvent } from "../model/cache/index.js";

/**
 * Turns cache events into metrics and debug logs. The cache itself logs its
 * Redis tier's state changes (one warning when it degrades, one line when it recovers).
 */
export function createCacheObserver(metrics: ServiceMetrics, logger: Logger): (event: CacheEvent) => void {
  return (event) => {
    switch (event.type) {
      case "hit":
        metrics.recordCacheLookup({ result: "hit", tier: event.tier });
        return;
      case "miss":
        metrics.recordCacheLookup({ result: "miss" });
        return;
      case "coalesced":
        metrics.recordCacheLookup({ result: "coalesced" });
        return;
      case "l2-error":
        metrics.recordCacheL2Error({ operation: event.operation });
        // Only the error's name: ioredis errors carry command arguments, cached values included.
        logger.debug(
          { operation: event.operation, error: event.error instanceof Error ? event.error.name : typeof event.error },
          "redis cache operation failed",
        );
        return;
      case "l2-state":
        return;
    }
  };
}
