import { isBrokenCircuitError, isTaskCancelledError } from "cockatiel";
import { AttemptTimeoutError } from "./attempt-signal.js";
import { MidStreamError } from "./failure-classification.js";

/** Why one model could not answer a turn. */
export interface ModelFailure {
  readonly model: string;
  readonly reason: string;
  /** True when trying again later may succeed (overload, outage, open breaker); false when the request or configuration is wrong. */
  readonly transient: boolean;
}

/** Every model of the fallback chain failed for this turn. */
export class ModelsUnavailableError extends Error {
  override readonly name = "ModelsUnavailableError";
  constructor(readonly failures: readonly ModelFailure[]) {
    super(`no model could answer: ${failures.map((f) => `${f.model} (${f.reason})`).join(", ")}`);
  }
}

/** True when no model failed for a reason that may pass: retrying cannot help. */
export function isPermanentModelFailure(err: ModelsUnavailableError): boolean {
  return err.failures.every((failure) => !failure.transient);
}

/** True when `err` is a {@link ModelsUnavailableError}. */
export function isModelsUnavailableError(err: unknown): err is ModelsUnavailableError {
  return err instanceof ModelsUnavailableError;
}

/**
 * Describes a provider failure in a few words that are safe to show a caller:
 * the HTTP status and the provider's error code, never headers or the key.
 */
export function describeModelFailure(err: unknown): string {
  if (isBrokenCircuitError(err)) {
    return "circuit open: too many recent failures";
  }
  if (isTaskCancelledError(err)) {
    return "gave up: the model's total time ran out";
  }
  if (err instanceof AttemptTimeoutError) {
    return err.message;
  }
  if (err instanceof MidStreamError) {
    return `${describeModelFailure(err.cause)} mid-stream`;
  }
  if (typeof err !== "object" || err === null) {
    return "failed";
  }
  const status = "status" in err && typeof err.status === "number" ? err.status : undefined;
  if (status !== undefined) {
    const code = "code" in err && typeof err.code === "string" ? ` ${err.code}` : "";
    return `HTTP ${status}${code}`;
  }
  const name = "name" in err && typeof err.name === "string" ? err.name : "Error";
  // The OpenAI SDK reports refused and reset connections as APIConnectionError,
  // a broken JSON body or SSE event as a SyntaxError.
  if (name === "APIConnectionError") {
    return "connection failed";
  }
  if (name === "APIConnectionTimeoutError") {
    return "connection timed out";
  }
  if (err instanceof SyntaxError) {
    return "malformed response";
  }
  return name === "Error" ? "failed" : name;
}
