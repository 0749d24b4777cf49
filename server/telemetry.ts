import { trace, type Tracer, type TextMapPropagator } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";

/** Tracing pieces the service passes down explicitly. */
export interface Telemetry {
  /** Tracer for the service's own spans. */
  readonly tracer: Tracer;
  /** Reads and writes W3C `traceparent` / `tracestate` headers. */
  readonly propagator: TextMapPropagator;
  /** Flushes and stops span processing. */
  shutdown(): Promise<void>;
}

/**
 * Creates the service's tracer. Spans get real W3C ids, so every run has a
 * trace id that continues the caller's; exporting them to an OTLP backend
 * is configured with the standard `OTEL_*` variables (see README).
 */
export function createTelemetry(): Telemetry {
  const provider = new BasicTracerProvider();
  return {
    tracer: provider.getTracer("agent-service"),
    propagator: new W3CTraceContextPropagator(),
    shutdown: () => provider.shutdown(),
  };
}

/** A tracer whose spans are never recorded; for tests of pieces without telemetry. */
export function noopTracer(): Tracer {
  return trace.getTracer("agent-service");
}
