import { context, SpanKind, SpanStatusCode, trace, type TextMapPropagator, type Tracer } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";

/** The `fetch` signature the OpenAI SDK takes. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Wraps `fetch` so each model HTTP call is a client span, a child of the span
 * active when it starts (the `chat` span), carrying the trace on to the
 * provider in a `traceparent` header. The span ends when the response body
 * has been read to its end, so it covers the whole streamed answer.
 */
export function createTracedFetch(tracer: Tracer, propagator: TextMapPropagator, inner: Fetch = fetch): Fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    const parent = context.active();
    const span = tracer.startSpan(method, { kind: SpanKind.CLIENT }, parent);
    // An unsampled span records nothing: it only carries the trace ids on to
    // the provider, so it needs no attributes and no watch over the body.
    const recording = span.isRecording();
    if (recording) {
      const url = new URL(request?.url ?? String(input));
      span.setAttributes({
        "http.request.method": method,
        // No query string: it may carry credentials on some providers.
        "url.full": `${url.origin}${url.pathname}`,
        "server.address": url.hostname,
        "server.port": Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      });
    }
    const headers = new Headers(init?.headers ?? request?.headers);
    propagator.inject(trace.setSpan(parent, span), headers, { set: (carrier, key, value) => carrier.set(key, value) });
    let response: Response;
    try {
      // This span is the call's: a fetch (undici) instrumentation of the process adds none of its own.
      response = await context.with(suppressTracing(parent), () => inner(input, { ...init, headers }));
    } catch (err) {
      span.setAttribute("error.type", err instanceof Error ? err.name : "Error");
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      span.end();
      throw err;
    }
    span.setAttribute("http.response.status_code", response.status);
    if (response.status >= 400) {
      span.setAttribute("error.type", String(response.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (response.body === null || !recording) {
      span.end();
      return response;
    }
    return new Response(endSpanWithBody(response.body, span), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** Passes the body through and ends the span when it is done, failed or canceled. */
function endSpanWithBody(body: ReadableStream<Uint8Array>, span: ReturnType<Tracer["startSpan"]>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (error?: unknown) => {
    if (ended) {
      return;
    }
    ended = true;
    if (error !== undefined) {
      span.setAttribute("error.type", error instanceof Error ? error.name : "Error");
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    span.end();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (err) {
        end(err);
        controller.error(err);
      }
    },
    async cancel(reason) {
      end(reason ?? new Error("canceled"));
      await reader.cancel(reason);
    },
  });
}
