import { context, type TextMapPropagator, type Tracer, type TracerProvider as ApiTracerProvider } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { Logger } from "pino";
import { secretReader, type SecretSource } from "../secret-source.js";
import { reportExportFailures } from "./export-failure-log.js";
import { createSpanFileExporter } from "./span-file-exporter.js";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";

/** Options for {@link createTracing}. */
export interface TracingOptions {
  /** `service.name` of the spans. */
  readonly serviceName: string;
  /** `service.version` of the spans. */
  readonly serviceVersion: string;
  /** OTLP/HTTP protobuf traces endpoint, such as `http://jaeger:4318/v1/traces`; undefined exports nothing. */
  readonly otlpUrl: string | undefined;
  /**
   * Headers sent with each export, such as an API key of a hosted backend.
   * Default none. A function is read at each export, so headers reread on
   * SIGHUP go with the next one.
   */
  readonly otlpHeaders?: SecretSource<Readonly<Record<string, string>>>;
  /** Record prompt and completion text on spans (redacted). Default false. */
  readonly recordContent?: boolean;
  /** Delay between batch exports. Default 5,000 ms. */
  readonly exportDelayMs?: number;
  /** JSON-lines file to append every finished span to. Default none. */
  readonly spanFile?: string | undefined;
  /** Where failed OTLP exports are reported. Default: not reported. */
  readonly logger?: Logger;
  /**
   * A provider the process already runs, such as the OpenTelemetry SDK's that
   * the process entry starts (see `startProcessTelemetry`): its sampler,
   * processors and resource apply, and `otlpUrl`, `otlpHeaders`,
   * `exportDelayMs` and `spanFile` are not read. Flushing and shutting it
   * down are its owner's. Default none: the service builds its own provider.
   */
  readonly tracerProvider?: ApiTracerProvider;
}

/** The service's tracing, passed down explicitly. */
export interface Tracing {
  readonly tracer: Tracer;
  /** Reads and writes W3C `traceparent` / `tracestate`. */
  readonly propagator: TextMapPropagator;
  /** Whether prompt and completion text go on spans. */
  readonly recordContent: boolean;
  /** Exports what is pending. */
  forceFlush(): Promise<void>;
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

let contextManagerInstalled = false;

/**
 * Creates the service's tracer. Spans always get W3C ids that continue the
 * caller's trace, so every response has a trace id; they are recorded and
 * exported over OTLP only when an endpoint is configured. Without one the
 * sampler drops every span at creation, which costs next to nothing.
 */
export function createTracing(options: TracingOptions): Tracing {
  if (options.tracerProvider !== undefined) {
    return {
      tracer: options.tracerProvider.getTracer("agent-service", options.serviceVersion),
      propagator: new W3CTraceContextPropagator(),
      recordContent: options.recordContent ?? false,
      // The process exports what is pending when it stops (see `ProcessTelemetry.shutdown`).
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
  }
  // The one global: the context manager that carries the active span across
  // awaits, so the model's HTTP call sees the `chat` span it belongs to.
  // OpenTelemetry's API is global by design; installing it twice is harmless.
  if (!contextManagerInstalled) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerInstalled = true;
  }
  const exporters = [
    ...(options.otlpUrl === undefined
      ? []
      : [otlpExporter(options.otlpUrl, options.otlpHeaders, options.logger)]),
    ...(options.spanFile === undefined ? [] : [createSpanFileExporter(options.spanFile)]),
  ];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": options.serviceName,
      "service.version": options.serviceVersion,
    }),
    // A caller that sampled its trace out keeps it out; our own roots are all kept.
    sampler:
      exporters.length > 0 ? new ParentBasedSampler({ root: new AlwaysOnSampler() }) : new AlwaysOffSampler(),
    spanProcessors: exporters.map(
      (exporter) => new BatchSpanProcessor({ exporter, scheduledDelayMillis: options.exportDelayMs ?? 5_000 }),
    ),
  });
  return {
    tracer: provider.getTracer("agent-service", options.serviceVersion),
    propagator: new W3CTraceContextPropagator(),
    recordContent: options.recordContent ?? false,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function otlpExporter(url: string, headers: SecretSource<Readonly<Record<string, string>>> | undefined, logger: Logger | undefined) {
  const headersInForce = secretReader(headers ?? {});
  // The exporter calls a headers function (its `HeadersFactory`) before each export.
  const exporter = new OTLPTraceExporter({ url, headers: async () => ({ ...headersInForce() }) });
  return logger === undefined ? exporter : reportExportFailures(exporter, { signal: "traces", logger });
}
