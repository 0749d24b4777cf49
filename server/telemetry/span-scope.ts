import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Tracer } from "@opentelemetry/api";

/**
 * Runs `call` in a span named `name`, a child of `parent`, with that span
 * the active one while it runs: the spans the process's instrumentations make
 * for what `call` does (a Redis command, a pg query) are its children. The
 * span ends when `call` settles; a rejection marks it failed and is passed
 * on. Without a tracer, `call` runs with `parent` active and no span of its own.
 */
export async function inSpan<T>(
  tracer: Tracer | undefined,
  name: string,
  attributes: Attributes,
  parent: Context,
  call: () => Promise<T>,
): Promise<T> {
  if (tracer === undefined) {
    return context.with(parent, call);
  }
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), call);
  } catch (err) {
    span.setAttribute("error.type", err instanceof Error ? err.name : "Error");
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}
