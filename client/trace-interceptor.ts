import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, propagation, SpanKind, SpanStatusCode, trace, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";

const getter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};
const setter: TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };

/**
 * Starts a client span for every call and puts its W3C `traceparent` on the
 * request, so the caller's trace continues into the agent service. Uses the
 * application's global OpenTelemetry setup; without one it does nothing. A
 * `traceparent` the caller set by hand is kept as the span's parent.
 */
export function createClientTraceInterceptor(protocol: string): Interceptor {
  return (next) => async (req) => {
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
