import { AgentService } from "../../gen/agent/v1/agent_service_pb.js";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import type { ModelGateway } from "../model/model-gateway.js";
import { createHealthStatus, type HealthStatus } from "../rpc/health-status.js";

/** What {@link wireHealth} needs. */
export interface HealthWiringOptions {
  /** Whose breakers decide whether the service can serve. */
  readonly gateway: Pick<ModelGateway, "status" | "subscribe">;
}

/** The service's health, following the models' breakers until it stops serving. */
export interface ServiceHealth {
  /** What the health RPCs and probes report. */
  readonly status: HealthStatus;
  /**
   * Stops following the breakers, sets every service to NOT_SERVING, then
   * ends every health watch: the service is going away.
   */
  stopServing(): void;
  /**
   * What `GET /readyz` answers: ready while serving (a model's breaker is
   * not open), not shutting down, and the store answers a one-row query.
   */
  readiness(store: { promptsGeneration(): Promise<number> }): Promise<{ ready: boolean; reasons: string[] }>;
}

/** Creates the health status of the service and keeps it in step with the models' breakers. */
export function wireHealth(options: HealthWiringOptions): ServiceHealth {
  const { gateway } = options;
  let stopping = false;
  const status = createHealthStatus([AgentService.typeName]);
  // Probes see NOT_SERVING while every model's breaker is open: no run can succeed.
  const updateServing = () => {
    const serving = gateway.status().some((m) => m.breaker !== "open");
    status.setAll(serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  };
  gateway.subscribe((event) => {
    if (event.type === "breaker" && !stopping) {
      updateServing();
    }
  });
  return {
    status,
    stopServing() {
      stopping = true;
      status.setAll(ServingStatus.NOT_SERVING);
      status.close();
    },
    async readiness(store) {
      const reasons: string[] = [];
      if (status.closed()) {
        reasons.push("the service is shutting down");
      } else if (status.get("") !== ServingStatus.SERVING) {
        reasons.push("every model's circuit breaker is open");
      }
      try {
        await store.promptsGeneration();
      } catch {
        reasons.push("the store (runs, prompts, audit log) cannot be reached");
      }
      return { ready: reasons.length === 0, reasons };
    },
  };
}
