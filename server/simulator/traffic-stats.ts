/** Counts of chat completion traffic, as returned by `Simulator.stats()`. */
export interface SimulatorStats {
  /** Chat completion requests that passed validation, faulted or not. */
  requests: number;
  /** {@link SimulatorStats.requests} per model. */
  byModel: Record<string, number>;
  /** Requests whose client went away before the response was complete. */
  aborted: number;
  /** {@link SimulatorStats.aborted} per model. */
  abortedByModel: Record<string, number>;
  /**
   * Bytes of chat completion response bodies handed to the socket so far,
   * finished or in flight. A client that stops reading stops it growing once
   * the buffers between them are full.
   */
  bodyBytesWritten: number;
}

/** The simulator's traffic counters. */
export interface TrafficStats {
  recordRequest(model: string): void;
  recordAbort(model: string): void;
  recordBodyBytes(bytes: number): void;
  /** A copy, so callers can keep it while traffic continues. */
  snapshot(): SimulatorStats;
  reset(): void;
}

/** Creates zeroed counters. */
export function createTrafficStats(): TrafficStats {
  let requests = 0;
  let aborted = 0;
  let bodyBytesWritten = 0;
  const byModel = new Map<string, number>();
  const abortedByModel = new Map<string, number>();
  return {
    recordRequest(model) {
      requests += 1;
      byModel.set(model, (byModel.get(model) ?? 0) + 1);
    },
    recordAbort(model) {
      aborted += 1;
      abortedByModel.set(model, (abortedByModel.get(model) ?? 0) + 1);
    },
    recordBodyBytes(bytes) {
      bodyBytesWritten += bytes;
    },
    snapshot() {
      return {
        requests,
        byModel: Object.fromEntries(byModel),
        aborted,
        abortedByModel: Object.fromEntries(abortedByModel),
        bodyBytesWritten,
      };
    },
    reset() {
      requests = 0;
      aborted = 0;
      bodyBytesWritten = 0;
      byModel.clear();
      abortedByModel.clear();
    },
  };
}
