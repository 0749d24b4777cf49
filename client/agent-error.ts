import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, type FieldViolation } from "../gen/agent/v1/errors_pb.js";

const brand = Symbol("AgentServiceError");

/**
 * An error from the agent service: a ConnectError with the service's typed
 * detail read out. `code` is one of the closed set the service documents.
 */
export class AgentServiceError extends ConnectError {
  override name = "AgentServiceError";
  private readonly [brand] = true;
  /** Machine-readable reason, such as `INVALID_REQUEST` or `MODELS_UNAVAILABLE`. */
  readonly reason: string;
  /** The run the error belongs to, when one had started. */
  readonly runId: string | undefined;
  /** Trace id to look the run up in traces and logs. */
  readonly traceId: string | undefined;
  /** Broken request rules, for INVALID_ARGUMENT. */
  readonly fieldViolations: readonly FieldViolation[];
  /** How long the service asks to wait before a retry (RESOURCE_EXHAUSTED, UNAVAILABLE), when it says. */
  readonly retryAfterMs: number | undefined;

  /**
   * ConnectError's own `instanceof` accepts any ConnectError-like value; this
   * one must only accept errors the SDK made, or a plain ConnectError would
   * pass for one without its detail read out.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brand in value;
  }

  constructor(source: ConnectError) {
    super(source.rawMessage, source.code, source.metadata, undefined, source);
    this.details = source.details;
    const detail = source.findDetails(ErrorDetailSchema)[0];
    this.reason = detail?.reason || Code[source.code];
    this.runId = detail?.runId || undefined;
    this.traceId = detail?.traceId || undefined;
    this.fieldViolations = detail?.fieldViolations ?? [];
    this.retryAfterMs = detail?.retryAfter === undefined ? undefined : durationMs(detail.retryAfter);
  }
}

/** True when `err` is an {@link AgentServiceError}. */
export function isAgentServiceError(err: unknown): err is AgentServiceError {
  return err instanceof AgentServiceError;
}

/** Turns whatever a call threw into an {@link AgentServiceError}. */
export function toAgentServiceError(err: unknown): AgentServiceError {
  return err instanceof AgentServiceError ? err : new AgentServiceError(ConnectError.from(err));
}
