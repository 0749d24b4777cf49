import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { ProcessTelemetry } from "../telemetry/process-telemetry.js";
import { createMetricsProvider, type MetricsProvider } from "../telemetry/metrics-provider.js";
import { createServiceMetrics, type ServiceMetrics } from "../telemetry/service-metrics.js";
import { createTracedFetch, type Fetch } from "../telemetry/traced-fetch.js";
import { createTracing, type Tracing } from "../telemetry/tracing.js";
import type { Closers } from "./closers.js";

/** What {@link wireTelemetry} needs. */
export interface TelemetryWiringOptions {
  readonly settings: Config["telemetry"];
  /** `OTEL_EXPORTER_OTLP_HEADERS`, read at each export (see `SecretParts.otlpHeaders`). */
  readonly otlpHeaders: () => Readonly<Record<string, string>>;
  /** The service's version, on every span and metric. */
  readonly version: string;
  readonly logger: Logger;
  /** The process's OpenTelemetry SDK, whose providers the service uses instead of building its own. Default none. */
  readonly processTelemetry?: ProcessTelemetry | undefined;
}

/** The service's tracing and metrics, passed down explicitly. */
export interface TelemetryParts {
  readonly tracing: Tracing;
  /** `fetch` that carries the trace to the model providers. */
  readonly tracedFetch: Fetch;
  readonly metricsProvider: MetricsProvider;
  readonly metrics: ServiceMetrics;
}

/** Starts tracing, then the metrics provider, and creates the service's instruments on its meter. */
export async function wireTelemetry(options: TelemetryWiringOptions, closers: Closers): Promise<TelemetryParts> {
  const { settings, otlpHeaders, version, logger, processTelemetry } = options;
  // Exports over HTTP from now on send the headers as the service holds them (reread on SIGHUP).
  processTelemetry?.readOtlpHeadersFrom(otlpHeaders);
  const tracing = createTracing({
    serviceName: settings.serviceName,
    serviceVersion: version,
    otlpUrl: settings.otlpTracesUrl,
    otlpHeaders,
    recordContent: settings.recordContent,
    exportDelayMs: settings.spanExportDelayMs,
    spanFile: settings.spanFile,
    logger,
    ...(processTelemetry?.tracerProvider === undefined ? {} : { tracerProvider: processTelemetry.tracerProvider }),
  });
  closers.push(() => tracing.shutdown());
  const tracedFetch = createTracedFetch(tracing.tracer, tracing.propagator);
  const metricsProvider = await createMetricsProvider({
    logger,
    serviceName: settings.serviceName,
    serviceVersion: version,
    ...(settings.prometheus === undefined ? {} : { prometheus: settings.prometheus }),
    ...(processTelemetry?.meterProvider === undefined
      ? {}
      : { external: { meterProvider: processTelemetry.meterProvider, prometheusExporter: processTelemetry.prometheusExporter } }),
    ...(settings.otlpMetricsUrl === undefined
      ? {}
      : {
          otlp: {
            url: settings.otlpMetricsUrl,
            headers: otlpHeaders,
            intervalMs: settings.metricExportIntervalMs,
          },
        }),
  });
  closers.push(() => metricsProvider.shutdown());
  const metrics = createServiceMetrics(metricsProvider.meter);
  return { tracing, tracedFetch, metricsProvider, metrics };
}
