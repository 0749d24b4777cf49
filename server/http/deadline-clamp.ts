import type { IncomingHttpHeaders } from "node:http";

// The grammars connect-node parses (protocol-grpc and protocol-connect
// `parse-timeout`); anything else is left for connect to reject.
const grpcTimeout = /^(\d{1,8})([HMSmun])$/;
const connectTimeout = /^\d{1,10}$/;
const msPerGrpcUnit: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };
// gRPC allows at most 8 digits per value.
const largestGrpcValue = 99_999_999;

/**
 * Cuts a caller's deadline (`grpc-timeout`, used by gRPC and gRPC-Web, or
 * `connect-timeout-ms`) down to `maxDeadlineMs`, in place, before connect-node
 * reads the headers. Needed because connect arms a `setTimeout` with the
 * caller's value, and Node fires a timer above 2^31−1 ms at once: a deadline
 * of `2147484S` would expire in a millisecond. No run may take longer than the
 * server's cap anyway. Invalid values are left as they are, so that connect
 * answers them with its usual error.
 */
export function clampDeadline(headers: IncomingHttpHeaders, maxDeadlineMs: number): void {
  const grpc = headers["grpc-timeout"];
  if (typeof grpc === "string") {
    const match = grpcTimeout.exec(grpc);
    if (match !== null && Number(match[1]) * (msPerGrpcUnit[match[2] ?? ""] ?? 0) > maxDeadlineMs) {
      headers["grpc-timeout"] =
        maxDeadlineMs <= largestGrpcValue ? `${maxDeadlineMs}m` : `${Math.floor(maxDeadlineMs / 1_000)}S`;
    }
  }
  const connect = headers["connect-timeout-ms"];
  if (typeof connect === "string" && connectTimeout.test(connect) && Number(connect) > maxDeadlineMs) {
    headers["connect-timeout-ms"] = String(maxDeadlineMs);
  }
}
