import { metrics, trace, type MeterProvider, type TracerProvider } from "@opentelemetry/api";
import { getNumberFromEnv } from "@opentelemetry/core";
import type { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { type IMetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { Logger } from "pino";
import { createAutoInstrumentations, loadInstrumentedPackages } from "./auto-instrumentations.js";
import { reportExportFailures } from "./export-failure-log.js";
import { histogramViews } from "./histogram-views.js";
import { createPrometheusReader } from "./metrics-provider.js";
import { createOtlpMetricExporter, createOtlpSpanExporter, type OtlpProtocol } from "./otlp-exporters.js";
import { createSpanFileExporter } from "./span-file-exporter.js";

/** The telemetry settings {@link startProcessTelemetry} reads (the service's `Config["telemetry"]`). */
export interface ProcessTelemetrySettings {
  /** `OTEL_SDK_DISABLED`: no SDK at all. */
  readonly sdkDisabled: boolean;
  readonly serviceName: string;
  /** Where traces go over OTLP; undefined exports none. */
  readonly otlpTracesUrl: string | undefined;
  readonly otlpTracesProtocol: OtlpProtocol;
  /** Where metrics go over OTLP; undefined pushes none. */
  readonly otlpMetricsUrl: string | undefined;
  readonly otlpMetricsProtocol: OtlpProtocol;
  /** The headers at start-up; see {@link ProcessTelemetry.readOtlpHeadersFrom}. */
  readonly otlpHeaders: Readonly<Record<string, string>>;
  readonly metricExportIntervalMs: number;
  readonly spanExportDelayMs: number;
  /** Where Prometheus scrapes; the service serves it (see `createMetricsProvider`). Undefined: no Prometheus reader. */
  readonly prometheus: object | undefined;
  /** JSON-lines file every finished span is appended to. */
  readonly spanFile: string | undefined;
}

/** Options for {@link startProcessTelemetry}. */
export interface ProcessTelemetryOptions {
  readonly settings: ProcessTelemetrySettings;
  /** `service.version` of the resource. */
  readonly serviceVersion: string;
  /** Where failed exports are reported. */
  readonly logger: Logger;
}

/** The process's OpenTelemetry SDK, whose providers the service is given (see `AgentServiceRuntimeOptions.telemetry`). */
export interface ProcessTelemetry {
  /** The SDK's tracer provider; undefined when no span is exported, and then the service's own records none. */
  readonly tracerProvider: TracerProvider | undefined;
  /** The SDK's meter provider; undefined when no metric is read. */
  readonly meterProvider: MeterProvider | undefined;
  /** The meter provider's Prometheus reader, which the service serves on `METRICS_PORT`. */
  readonly prometheusExporter: PrometheusExporter | undefined;
  /**
   * From now on, the OTLP exports over HTTP send the headers `source` gives
   * at each export: the service's `OTEL_EXPORTER_OTLP_HEADERS`, reread on
   * SIGHUP when it is given as a file. Until then they send the start-up ones.
   */
  readOtlpHeadersFrom(source: () => Readonly<Record<string, string>>): void;
  /** Exports what is pending and stops the SDK. */
  shutdown(): Promise<void>;
}

/**
 * Starts `@opentelemetry/sdk-node` for the process, before the service's
 * modules load, so that the auto-instrumentations (outgoing HTTP, ioredis, pg
 * by default; see `createAutoInstrumentations`) patch them. The standard
 * `OTEL_*` variables the SDK reads apply: `OTEL_TRACES_SAMPLER` and
 * `OTEL_TRACES_SAMPLER_ARG`, `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_NODE_RESOURCE_DETECTORS`, `OTEL_PROPAGATORS`, span limits. The span
 * processors and metric readers are the service's, from its settings: OTLP
 * over the protocol of `OTEL_EXPORTER_OTLP_PROTOCOL` (failures logged), the
 * span file, the Prometheus reader.
 *
 * Resolves undefined when there is nothing for an SDK to do (the SDK is
 * disabled, or no span and no metric is exported): the service then builds
 * its own providers, and start-up skips loading the SDK.
 */
export async function startProcessTelemetry(options: ProcessTelemetryOptions): Promise<ProcessTelemetry | undefined> {
  const { settings, logger } = options;
  if (settings.sdkDisabled) {
    return undefined;
  }
  let headers: () => Readonly<Record<string, string>> = () => settings.otlpHeaders;
  const currentHeaders = () => headers();

  const spanProcessors: SpanProcessor[] = [];
  if (settings.otlpTracesUrl !== undefined) {
    const exporter = await createOtlpSpanExporter({ protocol: settings.otlpTracesProtocol, url: settings.otlpTracesUrl, headers: currentHeaders });
    spanProcessors.push(batchProcessor(reportExportFailures(exporter, { signal: "traces", logger }), settings.spanExportDelayMs));
  }
  if (settings.spanFile !== undefined) {
    spanProcessors.push(batchProcessor(createSpanFileExporter(settings.spanFile), settings.spanExportDelayMs));
  }
  const metricReaders: IMetricReader[] = [];
  const prometheusExporter = settings.prometheus === undefined ? undefined : createPrometheusReader();
  if (prometheusExporter !== undefined) {
    metricReaders.push(prometheusExporter);
  }
  if (settings.otlpMetricsUrl !== undefined) {
    // The SDK rejects a push timeout longer than the interval.
    const timeoutMs = Math.min(30_000, settings.metricExportIntervalMs);
    const exporter = await createOtlpMetricExporter({ protocol: settings.otlpMetricsProtocol, url: settings.otlpMetricsUrl, headers: currentHeaders, timeoutMs });
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: reportExportFailures(exporter, { signal: "metrics", logger }),
        exportIntervalMillis: settings.metricExportIntervalMs,
        exportTimeoutMillis: timeoutMs,
      }),
    );
  }
  if (spanProcessors.length === 0 && metricReaders.length === 0) {
    return undefined;
  }

  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  // Instrumentations record nothing without a span processor: then none is loaded.
  const instrumentations = spanProcessors.length > 0 ? await createAutoInstrumentations() : [];
  const sdk = new NodeSDK({
    // The SDK merges its resource detectors over it: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` win.
    resource: defaultResource().merge(
      resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: options.serviceVersion }),
    ),
    // Given even when empty: the SDK would otherwise add its own exporters, to localhost.
    spanProcessors,
    metricReaders,
    logRecordProcessors: [],
    views: histogramViews(),
    instrumentations,
  });
  sdk.start();
  loadInstrumentedPackages(instrumentations);
  let stopped: Promise<void> | undefined;
  return {
    tracerProvider: spanProcessors.length > 0 ? trace.getTracerProvider() : undefined,
    meterProvider: metricReaders.length > 0 ? metrics.getMeterProvider() : undefined,
    prometheusExporter,
    readOtlpHeadersFrom(source) {
      headers = source;
    },
    shutdown() {
      stopped ??= sdk.shutdown();
      return stopped;
    },
  };
}

/** A batch processor with the service's delay and the other `OTEL_BSP_*` settings. */
function batchProcessor(exporter: SpanExporter, scheduledDelayMillis: number): SpanProcessor {
  const maxQueueSize = getNumberFromEnv("OTEL_BSP_MAX_QUEUE_SIZE");
  const maxExportBatchSize = getNumberFromEnv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE");
  const exportTimeoutMillis = getNumberFromEnv("OTEL_BSP_EXPORT_TIMEOUT");
  return new BatchSpanProcessor({
    exporter,
    scheduledDelayMillis,
    ...(maxQueueSize === undefined ? {} : { maxQueueSize }),
    ...(maxExportBatchSize === undefined ? {} : { maxExportBatchSize }),
    ...(exportTimeoutMillis === undefined ? {} : { exportTimeoutMillis }),
  });
}
