import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import { toConnectError } from "../runs/error-mapping.js";
import { traceIdOf } from "../telemetry/trace-id.js";
import { serverSpanKey } from "./trace-interceptor.js";

/**
 * The codes a caller can get (DESIGN.md, "Contracts"), and UNIMPLEMENTED for
 * a method the server does not serve.
 */
const closedSet = new Set<Code>([
  Code.InvalidArgument,
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.NotFound,
  Code.ResourceExhausted,
  Code.DeadlineExceeded,
  Code.Canceled,
  Code.Unavailable,
  Code.Internal,
  Code.Unimplemented,
]);

/**
 * Maps whatever an interceptor or handler threw to a ConnectError with a code
 * from the closed set: a ConnectError in the set stands; otherwise the first
 * error on the `cause` chain the service knows (capacity, models down, a
 * ConnectError in the set) decides; anything else is INTERNAL, logged in full
 * with the trace id, and the caller gets only where to look. Returns whether
 * it was internal.
 */
export function boundaryError(err: unknown, traceId: string): { error: ConnectError; internal: boolean } {
  for (let link: unknown = err, depth = 0; link !== undefined && link !== null && depth < 16; link = (link as { cause?: unknown }).cause, depth++) {
    if (link instanceof ConnectError) {
      if (closedSet.has(link.code) && link.code !== Code.Internal) {
        return { error: link, internal: false };
      }
      if (link.code === Code.Aborted) {
        // connect-node's word for a caller that hung up.
        return { error: new ConnectError("the call was canceled: the connection closed", Code.Canceled, undefined, undefined, err), internal: false };
      }
      if (link.code === Code.Internal && link === err) {
        // Already the service's own INTERNAL, with its message kept generic where it was raised.
        return { error: link, internal: true };
      }
      continue;
    }
    const mapped = toConnectError(link, { traceId });
    if (!mapped.internal) {
      return { error: mapped.error, internal: false };
    }
  }
  return {
    error: connectErrorWithDetail(`internal error; look for trace id ${traceId} in the service logs`, Code.Internal, { reason: "INTERNAL", traceId }, err),
    internal: true,
  };
}

/**
 * The outermost interceptor: every error of every method, thrown before the
 * response or in the middle of a stream, leaves through {@link boundaryError},
 * so nothing reaches a caller as UNKNOWN or with a message that was not meant
 * for it.
 */
export function createErrorBoundary(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const map = (err: unknown) => {
      const traceId = traceIdOf(req.contextValues.get(serverSpanKey));
      const { error, internal } = boundaryError(err, traceId);
      if (internal && error !== err) {
        logger.error({ err, trace_id: traceId, method: `${req.service.typeName}/${req.method.name}` }, "internal error at the RPC boundary");
      }
      return error;
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      throw map(err);
    }
    if (!res.stream) {
      return res;
    }
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
        } catch (err) {
          throw map(err);
        }
      })(),
    };
  };
}
