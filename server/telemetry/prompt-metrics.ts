import type { Meter } from "@opentelemetry/api";
import { ATTR_AGENT_PROMPT_DECISION, ATTR_AGENT_PROMPT_READ, METRIC_AGENT_PROMPT_CANARY_DECISIONS, METRIC_AGENT_PROMPT_STORE_READS } from "./semconv.js";

/** What choosing prompts costs the store, and what the canary check decides: for dashboards and alerts. */
export interface PromptMetrics {
  /** One query of the prompt store: `agent.prompt.store_reads`. */
  recordStoreRead(read: "generation" | "reload" | "version"): void;
  /** A canary the check ended: `agent.prompt.canary_decisions`. */
  recordCanaryDecision(decision: "rollback" | "promote"): void;
}

/** Creates the prompts' instruments on `meter` (see `createMetricsProvider`). */
export function createPromptMetrics(meter: Meter): PromptMetrics {
  const reads = meter.createCounter(METRIC_AGENT_PROMPT_STORE_READS, {
    description: "Queries of the prompt store made to choose runs' prompts: the generation poll, reloads after a change, pinned versions read once",
    unit: "{query}",
  });
  const decisions = meter.createCounter(METRIC_AGENT_PROMPT_CANARY_DECISIONS, {
    description: "Canaries ended by the canary check: rolled back, or promoted",
    unit: "{experiment}",
  });
  return {
    recordStoreRead(read) {
      reads.add(1, { [ATTR_AGENT_PROMPT_READ]: read });
    },
    recordCanaryDecision(decision) {
      decisions.add(1, { [ATTR_AGENT_PROMPT_DECISION]: decision });
    },
  };
}
