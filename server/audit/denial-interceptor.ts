import { Code, type ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { principalKey } from "../auth/principal.js";
import { boundaryError } from "../rpc/error-boundary.js";
import { whenResponseEnds } from "../rpc/response-end.js";
import { serverSpanKey } from "../rpc/trace-interceptor.js";
import type { AuditAppender } from "../runs/run-audit.js";
import { traceIdOf } from "../telemetry/trace-id.js";

/** Codes that refuse a call: authentication, authorization, limits and budgets. */
const denialCodes: ReadonlySet<Code> = new Set([Code.Unauthenticated, Code.PermissionDenied, Code.ResourceExhausted]);

/** Reasons that refuse a call under another code: the input guard's screening (INVALID_ARGUMENT). */
const denialReasons: ReadonlySet<string> = new Set(["INPUT_REJECTED"]);

/** A refusal, as the audit log records it. */
export interface Denial {
  /** The Connect code, as gRPC spells it (`PERMISSION_DENIED`). */
  readonly code: string;
  /** The ErrorDetail reason (`ROLE_REQUIRED`, `RATE_LIMITED`, …); the code when it has none. */
  readonly reason: string;
  /** The run the refusal belongs to; empty when none. */
  readonly runId: string;
}

/**
 * The refusal `error` is, for a call whose trace is `traceId`; undefined for
 * any other failure. A refusal carried over from another call (a WatchRun or
 * a repeated idempotency key replaying a run that a limit stopped: its
 * detail names that call's trace) was recorded with that call, not again;
 * one in the same trace (a caller that continues one trace across its
 * retries) cannot be told apart and is recorded again.
 */
export function denialOf(error: ConnectError, traceId: string): Denial | undefined {
  const detail = error.findDetails(ErrorDetailSchema)[0];
  const reason = detail?.reason ?? "";
  if (!denialCodes.has(error.code) && !denialReasons.has(reason)) {
    return undefined;
  }
  if (detail !== undefined && detail.traceId !== "" && detail.traceId !== traceId) {
    return undefined;
  }
  const code = codeToString(error.code).toUpperCase();
  return { code, reason: reason === "" ? code : reason, runId: detail?.runId ?? "" };
}

/**
 * Appends a `call_denied` entry for every call refused by authentication,
 * authorization, a limit or the input guard: thrown before the response or
 * in the middle of a stream, from an interceptor or a handler. It sits
 * inside the trace interceptor (the entry carries the call's trace id) and
 * outside authentication (so it sees its refusals); the principal is the
 * one authentication set, when it got that far. The error is classified as
 * the error boundary will map it, and passes on unchanged.
 */
export function createDenialAuditInterceptor(audit: AuditAppender): Interceptor {
  return (next) => async (req) => {
    const record = (err: unknown) => {
      const traceId = traceIdOf(req.contextValues.get(serverSpanKey));
      const denial = denialOf(boundaryError(err, traceId).error, traceId);
      if (denial === undefined) {
        return;
      }
      audit.append({
        action: "call_denied",
        principal: req.contextValues.get(principalKey)?.id ?? "",
        runId: denial.runId,
        traceId,
        at: new Date(),
        detail: { method: `${req.service.typeName}/${req.method.name}`, code: denial.code, reason: denial.reason },
      });
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      record(err);
      throw err;
    }
    return whenResponseEnds(res, (err) => {
      if (err !== undefined) {
        record(err);
      }
    });
  };
}
