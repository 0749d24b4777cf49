import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthStatus } from "./health-status.js";

/**
 * The standard gRPC health service: Check, List and Watch, as load balancers,
 * Kubernetes probes and grpc_health_probe expect them.
 */
export function createGrpcHealthService(status: HealthStatus): Partial<ServiceImpl<typeof Health>> {
  return {
    check(req) {
      const current = status.get(req.service);
      if (current === undefined) {
        throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      }
      return { status: current };
    },
    list() {
      const statuses: Record<string, ReturnType<typeof create<typeof HealthCheckResponseSchema>>> = {};
      for (const [service, current] of status.entries()) {
        statuses[service] = create(HealthCheckResponseSchema, { status: current });
      }
      return { statuses };
    },
    async *watch(req, ctx) {
      // Changes that arrive while the client reads are queued, never lost;
      // only the latest matters, so the queue holds one status at most.
      let pending: ServingStatus | undefined = status.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
      let wake: (() => void) | undefined;
      const unsubscribe = status.subscribe((service, next) => {
        if (service === req.service) {
          pending = next;
          wake?.();
        }
      });
      const onAbort = () => wake?.();
      ctx.signal.addEventListener("abort", onAbort);
      // At shutdown a watch ends after its last status, so it does not hold the server up.
      const offClose = status.onClose(() => wake?.());
      try {
        while (!ctx.signal.aborted && !(status.closed() && pending === undefined)) {
          if (pending !== undefined) {
            const next = pending;
            pending = undefined;
            yield { status: next };
            continue;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        unsubscribe();
        offClose();
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
