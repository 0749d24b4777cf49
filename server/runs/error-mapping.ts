import { Code, ConnectError } from "@connectrpc/connect";
import { connectErrorWithDetail, withRunIds } from "../errors/error-detail.js";
import { isLimitExceededError, limitDescriptions } from "../errors/limit-exceeded.js";
import { isModelsUnavailableError, isPermanentModelFailure } from "../model/model-errors.js";
import { classifyModelFailure } from "../model/model-failure.js";
import { isRunCapacityError } from "./run-limiter.js";

/** Ids of the run an error happened in. */
export interface RunIds {
  readonly runId?: string | undefined;
  readonly traceId?: string | undefined;
}

/**
 * Maps any error of a run to a ConnectError with a code from the closed set
 * the service promises (see agent_service.proto), keeping the original as
 * `cause`. Returns whether it is a bug, which the caller logs in full.
 */
export function toConnectError(err: unknown, ids: RunIds): { error: ConnectError; internal: boolean } {
  // Cancellation, deadlines and shutdown reach us as the ConnectError that
  // connect-node aborted the handler's signal with; validation errors too.
  if (err instanceof ConnectError) {
    return { error: withRunIds(err, ids.runId, ids.traceId), internal: err.code === Code.Internal };
  }
  if (isRunCapacityError(err)) {
    return {
      error: connectErrorWithDetail(
        err.message,
        Code.ResourceExhausted,
        { reason: "SERVER_AT_CAPACITY", retryAfterMs: 1_000, ...ids },
        err,
      ),
      internal: false,
    };
  }
  if (isLimitExceededError(err)) {
    return {
      error: connectErrorWithDetail(
        err.message,
        Code.ResourceExhausted,
        { reason: limitDescriptions[err.limit].reason, retryAfterMs: err.retryAfterMs, ...ids },
        err,
      ),
      internal: false,
    };
  }
  if (isModelsUnavailableError(err) && isPermanentModelFailure(err)) {
    // Every model refused the request itself (a bad key, an unknown model, a
    // request it rejects; each failure classified by classifyModelFailure): a
    // configuration problem that no retry fixes. Unreachable or failing
    // providers are transient and end up below, as UNAVAILABLE. The caller
    // learns where to look; the log has each model's answer.
    return {
      error: connectErrorWithDetail(
        `internal error: the models rejected the request; look for trace id ${ids.traceId ?? "(none)"} in the service logs`,
        Code.Internal,
        { reason: "MODELS_REJECTED_REQUEST", ...ids },
        err,
      ),
      internal: true,
    };
  }
  if (isModelsUnavailableError(err)) {
    return {
      error: connectErrorWithDetail(
        `${err.message}; retry later`,
        Code.Unavailable,
        { reason: "MODELS_UNAVAILABLE", ...ids },
        err,
      ),
      internal: false,
    };
  }
  if (classifyModelFailure(err).kind === "circuit-open") {
    // A breaker's refusal that reached us without the gateway's summary: the model is down.
    return {
      error: connectErrorWithDetail("the model's circuit breaker is open; retry later", Code.Unavailable, { reason: "MODELS_UNAVAILABLE", ...ids }, err),
      internal: false,
    };
  }
  // Anything else is a bug: the caller learns only where to look.
  return {
    error: connectErrorWithDetail(
      `internal error; look for trace id ${ids.traceId ?? "(none)"} in the service logs`,
      Code.Internal,
      { reason: "INTERNAL", ...ids },
      err,
    ),
    internal: true,
  };
}
