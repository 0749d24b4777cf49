import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

/** Serving status per service name, with change notifications. */
export interface HealthStatus {
  /** The status of `service` ("" is the whole server), or undefined when unknown. */
  get(service: string): ServingStatus | undefined;
  /** Sets the status of one service. */
  set(service: string, status: ServingStatus): void;
  /** Sets every known service, and the server as a whole, to `status`. */
  setAll(status: ServingStatus): void;
  /** Every known service and its status. */
  entries(): ReadonlyMap<string, ServingStatus>;
  /** Calls `listener` on every change; returns the function that unsubscribes. */
  subscribe(listener: (service: string, status: ServingStatus) => void): () => void;
  /** Ends every watch after its last status: the server is going away. */
  close(): void;
  /** Whether {@link close} was called. */
  closed(): boolean;
  /** Calls `listener` once on {@link close}; returns the function that unsubscribes. */
  onClose(listener: () => void): () => void;
}

/** Creates the health status table that `grpc.health.v1.Health` serves. */
export function createHealthStatus(services: readonly string[]): HealthStatus {
  const statuses = new Map<string, ServingStatus>([["", ServingStatus.SERVING]]);
  for (const service of services) {
    statuses.set(service, ServingStatus.SERVING);
  }
  const listeners = new Set<(service: string, status: ServingStatus) => void>();
  const closeListeners = new Set<() => void>();
  let isClosed = false;
  const set = (service: string, status: ServingStatus) => {
    if (statuses.get(service) === status) {
      return;
    }
    statuses.set(service, status);
    for (const listener of listeners) {
      listener(service, status);
    }
  };
  return {
    get: (service) => statuses.get(service),
    set,
    setAll(status) {
      for (const service of [...statuses.keys()]) {
        set(service, status);
      }
    },
    entries: () => new Map(statuses),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (!isClosed) {
        isClosed = true;
        closeListeners.forEach((listener) => listener());
      }
    },
    closed: () => isClosed,
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
  };
}
