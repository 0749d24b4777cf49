import type { Meter } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { type IMetricReader, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { histogramViews } from "./histogram-views.js";
import {
  type MetricsProviderOptions,
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
  const readers: IMetricReader[] = [];
  const prometheusExporter =
    resolved.prometheus === undefined
      ? undefined
      : new PrometheusExporter({ preventServerStart: true });
  if (prometheusExporter !== undefined) {
    readers.push(prometheusExporter);
  }
  if (resolved.otlp !== undefined) {
    readers.push(otlpReader(resolved.otlp, options.logger));
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

  let endpoint: PrometheusEndpoint | undefined;
  if (prometheusExporter !== undefined && resolved.prometheus !== undefined) {
    try {
      endpoint = await startPrometheusEndpoint(prometheusExporter, resolved.prometheus);
    } catch (err) {
      // The OTLP reader's timer is already running: stop it with the rest.
      await provider.shutdown();
      throw err;
    }
  }

  let stopped: Promise<void> | undefined;
  return {
    meter: provider.getMeter(resolved.serviceName, resolved.serviceVersion),
    prometheusUrl: endpoint?.url,
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        try {
          // Close the listener first: a scrape after the readers stop would only get an error.
          await endpoint?.close();
        } finally {
          await provider.shutdown();
        }
      })();
      return stopped;
    },
  };
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
