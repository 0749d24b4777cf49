import type { Config } from "../config.js";
import { createRunLimiter, type RunLimiter } from "../runs/run-limiter.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";

/** What {@link wireRunLimiter} needs. */
export interface RunLimiterWiringOptions {
  readonly config: Pick<Config, "maxConcurrentRuns" | "maxQueuedRuns">;
  readonly metrics: ServiceMetrics;
}

/** Creates the limiter of the runs this replica executes at once, its queue observed by the metrics. */
export function wireRunLimiter(options: RunLimiterWiringOptions): RunLimiter {
  const { config, metrics } = options;
  const limiter = createRunLimiter({ maxConcurrent: config.maxConcurrentRuns, maxQueued: config.maxQueuedRuns });
  metrics.observeQueued(() => limiter.queued());
  return limiter;
}
