import { Code, type ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import type { AgentServiceError } from "./agent-error.js";

/**
 * Node.js error codes (on the cause chain) that mean the connection under the
 * call broke, not that the service answered: the socket was reset, refused or
 * closed under a write; the HTTP/2 session or stream failed or went away.
 */
const connectionErrorCodes: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_DESTROYED",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_PING_CANCEL",
]);

/**
 * Node.js error codes that only arise while opening a connection, before a
 * byte of the request is sent: nothing listens, or the host name does not
 * resolve. An established connection never fails with these.
 */
const notSentErrorCodes: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/** What a failed attempt means for the call. */
export interface CallFailureVerdict {
  /** A new attempt may succeed and cannot do harm. */
  readonly retryable: boolean;
  /** The service's requested wait before the next attempt (`ErrorDetail.retry_after`), when it set one. */
  readonly retryAfterMs: number | undefined;
}

/** Where the call is, which decides what a failure means. */
export interface CallFailureContext {
  /**
   * The call follows a run that exists (a Stream past `runStarted`, a
   * WatchRun): an error the service sends is then the run's own outcome,
   * which a new attempt would only repeat, unless the service asked for a
   * retry with a retry-after. False for a call that starts a run or reads.
   */
  readonly followingRun: boolean;
  /**
   * The request must reach the service at most once, because a repeat of one
   * that took effect would fail and hide that it did (StartExperiment: the
   * second is refused as "already running"). Then only a failure that shows
   * the service never acted on the request is retried: no connection could
   * be opened, or a RESOURCE_EXHAUSTED limit with a retry-after (the service
   * checks its limits before any handler). Default false.
   */
  readonly atMostOnce?: boolean;
}

/**
 * The SDK's one answer to "should this failed attempt be tried again?",
 * from the Connect code, the service's `ErrorDetail` and the cause chain;
 * never from message text. The caller has already ruled out its own abort
 * and deadline, and a closed client.
 */
export function classifyCallFailure(error: AgentServiceError, { followingRun, atMostOnce = false }: CallFailureContext): CallFailureVerdict {
  const retryAfterMs = error.retryAfterMs;
  if (atMostOnce) {
    // A broken connection or an UNAVAILABLE answer may come after the
    // service acted: only what proves it did not is tried again.
    const refusedBeforeActing = error.code === Code.ResourceExhausted && retryAfterMs !== undefined;
    return { retryable: isNotSent(error) || refusedBeforeActing, retryAfterMs };
  }
  if (isConnectionFailure(error)) {
    return { retryable: true, retryAfterMs };
  }
  switch (error.code) {
    case Code.Unavailable:
      // The service is shutting down, its models or its store are down: a
      // new run may succeed. A run that failed this way is over, though.
      return { retryable: !followingRun || retryAfterMs !== undefined, retryAfterMs };
    case Code.ResourceExhausted:
      // Only a limit that says when it frees up; a spent budget does not.
      return { retryable: retryAfterMs !== undefined, retryAfterMs };
    default:
      // INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, DEADLINE_EXCEEDED,
      // CANCELED (from the service), INTERNAL: the same request fails again.
      return { retryable: false, retryAfterMs };
  }
}

/**
 * True when the attempt failed because the connection under it broke, so the
 * service never answered it. What connect-node reports when the TCP
 * connection is cut mid-call (see test/sdk-resume.test.ts):
 * - HTTP/2 (Connect, gRPC, gRPC-Web): CANCELED, no cause: Node.js closes the
 *   streams of a session whose socket closed with RST_STREAM code CANCEL.
 * - HTTP/1.1 (Connect, gRPC-Web): ABORTED with ECONNRESET on the cause chain
 *   mid-response; INTERNAL with EPIPE when the request was being written.
 * - No listener: UNAVAILABLE with ECONNREFUSED.
 */
export function isConnectionFailure(error: ConnectError): boolean {
  // The service attaches an ErrorDetail to every error it sends: one with a
  // detail is the service's answer, whatever its code.
  if (error.findDetails(ErrorDetailSchema).length > 0) {
    return false;
  }
  if (causeCodes(error).some((code) => connectionErrorCodes.has(code))) {
    return true;
  }
  // Without a detail these codes come from the transport itself: an HTTP/2
  // stream reset by a closing session (CANCELED), or no connection at all,
  // a refused stream, a PING timeout, a proxy's 502/503 (UNAVAILABLE).
  return error.code === Code.Canceled || error.code === Code.Unavailable;
}

/**
 * True when the attempt failed before its request left the client: the
 * connection could not be opened (see {@link notSentErrorCodes}). What
 * connect-node reports when nothing listens: UNAVAILABLE with ECONNREFUSED.
 */
export function isNotSent(error: ConnectError): boolean {
  return error.findDetails(ErrorDetailSchema).length === 0 && causeCodes(error).some((code) => notSentErrorCodes.has(code));
}

/** The Node.js `code` of every error on the cause chain, like connect-node's `unwrapNodeErrorChain`. */
function causeCodes(error: Error): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    // A ConnectError's `code` is its numeric Connect code; Node.js errors have a string one.
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      codes.push(code);
    }
    current = current.cause;
  }
  return codes;
}
