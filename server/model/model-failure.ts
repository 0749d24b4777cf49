import { getRetryable } from "@langchain/core/errors";
import { isBrokenCircuitError, isTaskCancelledError } from "cockatiel";
import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from "openai";
import { isAttemptTimeoutError } from "./attempt-signal.js";
import { errorChain } from "./error-chain.js";
import { isCallCanceledError, isEmptyResponseError, isMidStreamError } from "./model-call-errors.js";

/**
 * What went wrong with a model call:
 * - `rejected`: the provider refused the request itself (a 4xx other than 408,
 *   409 and 429): a bad key, an unknown model, a request it does not accept.
 * - `rate-limited`: a 429.
 * - `provider-error`: the provider failed (5xx, 408, 409).
 * - `connection`: refused, reset or dropped connections, failed DNS lookups.
 * - `timeout`: an attempt, a connect, or the wait for headers or body ran out of time.
 * - `malformed-response`: a body or an SSE event that does not parse, or no chunks at all.
 * - `circuit-open`: the model's breaker refused the call without making it.
 * - `gave-up`: the model's total time, retries included, ran out.
 * - `canceled`: whoever asked for the call went away.
 * - `unknown`: nothing in the error or its causes says.
 */
export type ModelFailureKind =
  | "rejected"
  | "rate-limited"
  | "provider-error"
  | "connection"
  | "timeout"
  | "malformed-response"
  | "circuit-open"
  | "gave-up"
  | "canceled"
  | "unknown";

/** The one answer to "what does this model failure mean?" that the policy, the breaker, the error mapping and telemetry share. */
export interface ModelFailureClass {
  readonly kind: ModelFailureKind;
  /** Another attempt on the same model may succeed: the retry policy retries it. */
  readonly retryable: boolean;
  /** A fault of the model: the circuit breaker counts it. */
  readonly countsAgainstModel: boolean;
  /** Trying again later may succeed; false only when the request or the configuration is wrong. */
  readonly transient: boolean;
  /** The model failed after part of its answer had reached the caller. */
  readonly midStream: boolean;
  /** Low-cardinality `error.type` for spans and metrics: the HTTP status, a system error code, or a kind. */
  readonly errorType: string;
  /** A few words safe to show a caller: a status, a provider's error code, never headers, keys or bodies. */
  readonly description: string;
}

type Verdict = Omit<ModelFailureClass, "midStream">;

const fault = (kind: ModelFailureKind, errorType: string, description: string): Verdict => ({
  kind,
  retryable: true,
  countsAgainstModel: true,
  transient: true,
  errorType,
  description,
});

/**
 * Node and undici error `code`s of a provider that cannot be reached or
 * dropped the connection, or took too long at the socket level. Codes, not
 * messages: they are the stable part of a system error.
 */
const systemCodes: Readonly<Record<string, Verdict>> = {
  ECONNREFUSED: fault("connection", "ECONNREFUSED", "connection refused"),
  ECONNRESET: fault("connection", "ECONNRESET", "connection reset"),
  EPIPE: fault("connection", "EPIPE", "connection reset"),
  ECONNABORTED: fault("connection", "ECONNABORTED", "connection aborted"),
  ENOTFOUND: fault("connection", "ENOTFOUND", "provider host not found"),
  EAI_AGAIN: fault("connection", "EAI_AGAIN", "DNS lookup failed"),
  EHOSTUNREACH: fault("connection", "EHOSTUNREACH", "provider unreachable"),
  ENETUNREACH: fault("connection", "ENETUNREACH", "provider unreachable"),
  ENETDOWN: fault("connection", "ENETDOWN", "provider unreachable"),
  EHOSTDOWN: fault("connection", "EHOSTDOWN", "provider unreachable"),
  // undici (Node's fetch): the provider closed the socket before the response was complete.
  UND_ERR_SOCKET: fault("connection", "UND_ERR_SOCKET", "connection closed by the provider"),
  UND_ERR_CLOSED: fault("connection", "UND_ERR_CLOSED", "connection closed by the provider"),
  ETIMEDOUT: fault("timeout", "ETIMEDOUT", "connection timed out"),
  UND_ERR_CONNECT_TIMEOUT: fault("timeout", "UND_ERR_CONNECT_TIMEOUT", "connect timed out"),
  UND_ERR_HEADERS_TIMEOUT: fault("timeout", "UND_ERR_HEADERS_TIMEOUT", "no response headers in time"),
  UND_ERR_BODY_TIMEOUT: fault("timeout", "UND_ERR_BODY_TIMEOUT", "response body stalled"),
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: fault("malformed-response", "malformed_response", "response body cut short"),
};

const canceled: Verdict = {
  kind: "canceled",
  retryable: false,
  countsAgainstModel: false,
  transient: true,
  errorType: "canceled",
  description: "canceled",
};

/** Only what a provider's error code looks like is repeated to a caller. */
const safeProviderCode = /^[A-Za-z0-9_.-]{1,64}$/;

function verdictOfStatus(status: number, err: object): Verdict {
  const code = "code" in err && typeof err.code === "string" && safeProviderCode.test(err.code) ? ` ${err.code}` : "";
  const description = `HTTP ${status}${code}`;
  if (status === 429) {
    return fault("rate-limited", "429", description);
  }
  if (status === 408 || status === 409 || status >= 500) {
    return fault("provider-error", String(status), description);
  }
  // The request or the configuration is wrong: retrying, or trying again later, cannot help.
  return { kind: "rejected", retryable: false, countsAgainstModel: false, transient: false, errorType: String(status), description };
}

/**
 * What one link of a cause chain proves on its own, if anything. Links that
 * only hint (an SDK connection error whose cause says more) are left to
 * {@link hintOf}, so that the most specific link decides.
 */
function verdictOf(err: unknown): Verdict | undefined {
  if (isCallCanceledError(err)) {
    return canceled;
  }
  if (isBrokenCircuitError(err)) {
    // Refused by our own breaker: already counted, and retrying now would be refused too.
    return { kind: "circuit-open", retryable: false, countsAgainstModel: false, transient: true, errorType: "circuit_open", description: "circuit open: too many recent failures" };
  }
  if (isTaskCancelledError(err)) {
    // Thrown outside the breaker by the total timeout, after the attempts it ended were counted.
    return { kind: "gave-up", retryable: false, countsAgainstModel: false, transient: true, errorType: "timeout", description: "gave up: the model's total time ran out" };
  }
  if (isAttemptTimeoutError(err)) {
    return fault("timeout", "timeout", err.message);
  }
  if (isEmptyResponseError(err)) {
    return fault("malformed-response", "malformed_response", "empty response");
  }
  if (typeof err !== "object" || err === null) {
    return undefined;
  }
  if ("status" in err && typeof err.status === "number" && Number.isInteger(err.status) && err.status >= 400 && err.status <= 599) {
    return verdictOfStatus(err.status, err);
  }
  if (err instanceof APIUserAbortError || (err instanceof DOMException && err.code === DOMException.ABORT_ERR)) {
    return canceled;
  }
  if (err instanceof APIConnectionTimeoutError || (err instanceof DOMException && err.code === DOMException.TIMEOUT_ERR)) {
    return fault("timeout", "timeout", "connection timed out");
  }
  if ("code" in err && typeof err.code === "string" && Object.hasOwn(systemCodes, err.code)) {
    return systemCodes[err.code];
  }
  if (err instanceof SyntaxError) {
    // The OpenAI SDK parses bodies and SSE events with JSON.parse.
    return fault("malformed-response", "malformed_response", "malformed response");
  }
  return undefined;
}

/** What a link suggests when nothing below it proves more. */
function hintOf(err: unknown): Verdict | undefined {
  // The SDK wraps every fetch failure in APIConnectionError, a TLS failure too;
  // its cause usually names the system error. `instanceof` works only with the
  // copy @langchain/openai uses; with another copy, the cause still decides.
  if (err instanceof APIConnectionError) {
    return fault("connection", "connection_error", "connection failed");
  }
  // LangChain marks some errors it rewraps (and so strips of their class) as retryable,
  // such as the SDK's own timeout.
  if (getRetryable(err) === true) {
    return fault("connection", "transient", "transient provider failure");
  }
  return undefined;
}

/**
 * Nothing says what happened: not retried (it may be a bug, and a retry
 * storm helps nobody), but counted against the model, so that a provider
 * failing in a way we do not recognise still opens its breaker; and reported
 * as transient, since nothing shows the request itself is at fault.
 */
const unknown: Verdict = { kind: "unknown", retryable: false, countsAgainstModel: true, transient: true, errorType: "_OTHER", description: "failed" };

/**
 * Classifies a failed model call by the types, system error codes and HTTP
 * statuses along its cause chain (never by `name` or `message`: the OpenAI
 * SDK's connection error is named plain "Error", a reset mid-body is a
 * `TypeError("terminated")`). The outermost link that proves something
 * decides; a {@link MidStreamError} wrapper keeps its cause's verdict but is
 * never retried on the same model, which would repeat text the caller has.
 */
export function classifyModelFailure(err: unknown): ModelFailureClass {
  const midStream = isMidStreamError(err);
  let hint: Verdict | undefined;
  let verdict: Verdict | undefined;
  for (const link of errorChain(midStream ? err.cause : err)) {
    verdict = verdictOf(link);
    if (verdict !== undefined) {
      break;
    }
    hint ??= hintOf(link);
  }
  const found = verdict ?? hint ?? unknown;
  return midStream
    ? { ...found, retryable: false, midStream, description: `${found.description} mid-stream` }
    : { ...found, midStream };
}
