import type { Config } from "../config.js";
import type { RequestLimits } from "../runs/request-rules.js";

/** The defaults and caps of caller-supplied run limits, which both the request rules and the run lifecycle apply. */
export function requestLimitsOf(
  config: Pick<Config, "maxInputChars" | "maxIterations" | "maxIterationsCap" | "maxExecutionTimeMs" | "maxExecutionTimeCapMs" | "maxRunCostUsd">,
): RequestLimits {
  return {
    maxInputChars: config.maxInputChars,
    maxIterations: config.maxIterations,
    maxIterationsCap: config.maxIterationsCap,
    maxExecutionTimeMs: config.maxExecutionTimeMs,
    maxExecutionTimeCapMs: config.maxExecutionTimeCapMs,
    maxRunCostUsd: config.maxRunCostUsd,
  };
}
