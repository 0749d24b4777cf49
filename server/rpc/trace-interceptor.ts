import { createContextKey, type Interceptor } from "@connectrpc/connect";
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Span,
  type TextMapGetter,
  type TextMapPropagator,
  type Tracer,
} from "@opentelemetry/api";
import { whenResponseEnds } from "./response-end.js";

/** The RPC's server span, for handlers to read the trace id from. */
export const serverSpanKey = createContextKey<Span | undefined>(undefined, { description: "server span" });

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/**
 * Starts a server span for every RPC, continuing the caller's W3C trace
 * context from its headers (Connect, gRPC and gRPC-Web alike), and ends it
 * when the response, streamed or not, is done.
 */
export function createTraceInterceptor(tracer: Tracer, propagator: TextMapPropagator): Interceptor {
  return (next) => async (req) => {
    const parent = propagator.extract(ROOT_CONTEXT, req.header, headerGetter);
    const span = tracer.startSpan(
      `${req.service.typeName}/${req.method.name}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "rpc.system.name": "connectrpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name },
      },
      parent,
    );
    req.contextValues.set(serverSpanKey, span);
    const end = (err?: unknown) => {
      if (err !== undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      }
      span.end();
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      end(err);
      throw err;
    }
    return whenResponseEnds(res, end);
  };
}
