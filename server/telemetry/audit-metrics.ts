import type { Meter, ObservableCallback } from "@opentelemetry/api";
import { ATTR_AGENT_OUTCOME, METRIC_AGENT_AUDIT_DROPPED, METRIC_AGENT_AUDIT_QUEUED, METRIC_AGENT_AUDIT_WRITES } from "./semconv.js";

/** What the audit log's writer does, for dashboards and alerts: an audit log that falls behind or drops is a finding. */
export interface AuditMetrics {
  /** A batch was appended, or failed to be: `agent.audit.writes` (in entries). */
  recordWrite(write: { readonly outcome: "ok" | "error"; readonly entries: number }): void;
  /** Entries dropped because the queue was full: `agent.audit.dropped`. */
  recordDropped(dropped: { readonly count: number }): void;
  /** Reports `agent.audit.queued`, calling `read` at each collection. Returns a function that stops it. */
  observeQueue(read: () => number): () => void;
}

/** Creates the audit log's instruments on `meter` (see `createMetricsProvider`). */
export function createAuditMetrics(meter: Meter): AuditMetrics {
  const writes = meter.createCounter(METRIC_AGENT_AUDIT_WRITES, {
    description: "Audit entries appended to the audit log (outcome ok) or whose append failed and is retried (outcome error)",
    unit: "{entry}",
  });
  const dropped = meter.createCounter(METRIC_AGENT_AUDIT_DROPPED, {
    description: "Audit entries dropped because the audit writer's queue was full (the store was down too long)",
    unit: "{entry}",
  });
  const queued = meter.createObservableGauge(METRIC_AGENT_AUDIT_QUEUED, {
    description: "Audit entries waiting to be appended to the audit log",
    unit: "{entry}",
  });
  return {
    recordWrite({ outcome, entries }) {
      writes.add(entries, { [ATTR_AGENT_OUTCOME]: outcome });
    },
    recordDropped({ count }) {
      dropped.add(count);
    },
    observeQueue(read) {
      const callback: ObservableCallback = (result) => {
        result.observe(read());
      };
      queued.addCallback(callback);
      return () => queued.removeCallback(callback);
    },
  };
}
