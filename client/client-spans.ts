import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type * as OpenTelemetry from "@opentelemetry/api";

/** The parts of `@opentelemetry/api` the client's spans use. */
export type OpenTelemetryApi = Pick<typeof OpenTelemetry, "context" | "propagation" | "trace" | "SpanKind" | "SpanStatusCode">;

const getter: OpenTelemetry.TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};
const setter: OpenTelemetry.TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };

/**
 * Starts a client span for every call and puts its W3C `traceparent` on the
 * request, so the caller's trace continues into the agent service, with the
 * OpenTelemetry API `apiOf` gives: the application's global setup. When it
 * gives none (the optional peer dependency is not installed), calls go out
 * untraced. A `traceparent` the caller set by hand is kept as the span's parent.
 */
export function createTraceInterceptorWith(
  apiOf: () => OpenTelemetryApi | undefined | Promise<OpenTelemetryApi | undefined>,
  protocol: string,
): Interceptor {
  return (next) => async (req) => {
    const api = await apiOf();
    if (api === undefined) {
      return next(req);
    }
    const { context, propagation, trace, SpanKind, SpanStatusCode } = api;
    const tracer = trace.getTracer("agent-service-client");
    const active = context.active();
    const parent = req.header.has("traceparent") ? propagation.extract(active, req.header, getter) : active;
    const span = tracer.startSpan(
      `${req.service.typeName}/${req.method.name}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "rpc.system.name": protocol === "grpc" || protocol === "grpc-web" ? "grpc" : "connectrpc",
          "rpc.service": req.service.typeName,
          "rpc.method": req.method.name,
        },
      },
      parent,
    );
    propagation.inject(trace.setSpan(parent, span), req.header, setter);
    const fail = (err: unknown) => {
      const code = ConnectError.from(err).code;
      span.setAttribute("rpc.response.status_code", Code[code]);
      span.setAttribute("error.type", Code[code]);
      span.setStatus({ code: SpanStatusCode.ERROR, message: ConnectError.from(err).rawMessage });
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      fail(err);
      span.end();
      throw err;
    }
    if (!res.stream) {
      span.end();
      return res;
    }
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
        } catch (err) {
          fail(err);
          throw err;
        } finally {
          span.end();
        }
      })(),
    };
  };
}
