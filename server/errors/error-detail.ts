import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, type FieldViolation } from "../../gen/agent/v1/errors_pb.js";

/** What the error detail says besides the code and message. */
export interface ErrorDetailFields {
  readonly reason: string;
  readonly runId?: string | undefined;
  readonly traceId?: string | undefined;
  readonly fieldViolations?: readonly FieldViolation[];
  /** Suggested wait before a retry. */
  readonly retryAfterMs?: number;
}

/** Creates a ConnectError carrying an `agent.v1.ErrorDetail`. */
export function connectErrorWithDetail(
  message: string,
  code: Code,
  detail: ErrorDetailFields,
  cause?: unknown,
): ConnectError {
  return new ConnectError(
    message,
    code,
    undefined,
    [
      {
        desc: ErrorDetailSchema,
        value: {
          reason: detail.reason,
          runId: detail.runId ?? "",
          traceId: detail.traceId ?? "",
          fieldViolations: [...(detail.fieldViolations ?? [])],
          retryAfter: detail.retryAfterMs === undefined ? undefined : durationFromMs(detail.retryAfterMs),
        },
      },
    ],
    cause,
  );
}

/** The request broke one or more field rules. */
export function invalidArgumentError(violations: readonly FieldViolation[]): ConnectError {
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return connectErrorWithDetail(`invalid request: ${summary}`, Code.InvalidArgument, {
    reason: "INVALID_REQUEST",
    fieldViolations: violations,
  });
}

/** Makes sure an error carries an ErrorDetail with the run's ids. */
export function withRunIds(err: ConnectError, runId: string | undefined, traceId: string | undefined): ConnectError {
  if (err.findDetails(ErrorDetailSchema).length > 0) {
    return err;
  }
  return connectErrorWithDetail(err.rawMessage, err.code, { reason: Code[err.code].toUpperCase(), runId, traceId }, err.cause ?? err);
}
