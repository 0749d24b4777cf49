import type { Meter, MeterProvider as ApiMeterProvider } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { type IMetricReader, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { histogramViews } from "./histogram-views.js";
import {
  type MetricsProviderOptions,
  type ResolvedMetricsProviderOptions,
  type ResolvedOtlpMetricsOptions,
  resolveMetricsProviderOptions,
} from "./metrics-provider-options.js";
import type { Logger } from "pino";
import { reportExportFailures } from "./export-failure-log.js";
import { type PrometheusEndpoint, startPrometheusEndpoint } from "./prometheus-endpoint.js";

/** The service's metrics pipeline: one meter, and the readers that export what it records. */
export interface MetricsProvider {
  /** Meter for every instrument of the service; see `createServiceMetrics`. */
  readonly meter: Meter;
  /** URL Prometheus scrapes, with the bound port; `undefined` when Prometheus is not configured. */
  readonly prometheusUrl: string | undefined;
  /** Pushes everything recorded so far to OTLP now; a no-op for Prometheus, which is pulled. */
  forceFlush(): Promise<void>;
  /**
   * Stops the Prometheus listener, pushes a last time to OTLP and stops the
   * readers. Instruments keep accepting recordings, which are dropped.
   * Calling it again returns the first call's promise.
   */
  shutdown(): Promise<void>;
}

/**
 * Builds the service's `MeterProvider` (passed down, never registered as the
 * global one) with a resource naming the service, histogram buckets suited
 * to RPC and model latencies and to token counts, and up to two readers:
 * a Prometheus scrape endpoint and a periodic OTLP push. With neither, the
 * meter still accepts every recording and nothing is exported, so callers
 * never branch on whether metrics are on.
 *
 * Rejects when the Prometheus listener cannot bind, after releasing
 * whatever was started.
 */
export async function createMetricsProvider(options: MetricsProviderOptions): Promise<MetricsProvider> {
  const resolved = resolveMetricsProviderOptions(options);
  const pipeline = options.external === undefined ? ownPipeline(resolved, options.logger) : externalPipeline(options.external);

  let endpoint: PrometheusEndpoint | undefined;
  if (pipeline.prometheusExporter !== undefined && resolved.prometheus !== undefined) {
    try {
      endpoint = await startPrometheusEndpoint(pipeline.prometheusExporter, resolved.prometheus);
    } catch (err) {
      // The OTLP reader's timer is already running: stop it with the rest.
      await pipeline.shutdown();
      throw err;
    }
  }

  let stopped: Promise<void> | undefined;
  return {
    meter: pipeline.meterProvider.getMeter(resolved.serviceName, resolved.serviceVersion),
    prometheusUrl: endpoint?.url,
    forceFlush: () => pipeline.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        try {
          // Close the listener first: a scrape after the readers stop would only get an error.
          await endpoint?.close();
        } finally {
          await pipeline.shutdown();
        }
      })();
      return stopped;
    },
  };
}

/** A meter provider, its Prometheus reader if it has one, and how to flush and stop what the service owns of it. */
interface MetricsPipeline {
  readonly meterProvider: ApiMeterProvider;
  readonly prometheusExporter: PrometheusExporter | undefined;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

function ownPipeline(resolved: ResolvedMetricsProviderOptions, logger: Logger | undefined): MetricsPipeline {
  const readers: IMetricReader[] = [];
  const prometheusExporter = resolved.prometheus === undefined ? undefined : createPrometheusReader();
  if (prometheusExporter !== undefined) {
    readers.push(prometheusExporter);
  }
  if (resolved.otlp !== undefined) {
    readers.push(otlpReader(resolved.otlp, logger));
  }
  const provider = new MeterProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: resolved.serviceName,
        [ATTR_SERVICE_VERSION]: resolved.serviceVersion,
      }),
    ),
    views: histogramViews(),
    readers,
  });
  return {
    meterProvider: provider,
    prometheusExporter,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** The process's provider: the process flushes and stops it (see `ProcessTelemetry.shutdown`). */
function externalPipeline(external: NonNullable<MetricsProviderOptions["external"]>): MetricsPipeline {
  return {
    meterProvider: external.meterProvider,
    prometheusExporter: external.prometheusExporter,
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

/**
 * A Prometheus reader whose own server is never started: the exporter's
 * server can neither bind port 0 nor report its port, so the service serves
 * it on a listener of its own (see `startPrometheusEndpoint`).
 */
export function createPrometheusReader(): PrometheusExporter {
  return new PrometheusExporter({ preventServerStart: true });
}

function otlpReader(options: ResolvedOtlpMetricsOptions, logger: Logger | undefined): PeriodicExportingMetricReader {
  const exporter = new OTLPMetricExporter({
    url: options.url,
    // The exporter calls a headers function (its `HeadersFactory`) before each push.
    headers: async () => ({ ...options.headers() }),
    timeoutMillis: options.timeoutMs,
  });
  return new PeriodicExportingMetricReader({
    exporter: logger === undefined ? exporter : reportExportFailures(exporter, { signal: "metrics", logger }),
    exportIntervalMillis: options.intervalMs,
    exportTimeoutMillis: options.timeoutMs,
  });
}
