import type { Logger } from "pino";
import type { CacheEvent } from "../model/cache/index.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";

/**
 * Turns cache events into metrics and debug logs. The cache itself logs its
 * Redis tier's state changes (one warning when it degrades, one line when it recovers).
 * It lives with the wiring because it joins the model layer's cache to
 * telemetry, which, as a leaf, knows no layer.
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
