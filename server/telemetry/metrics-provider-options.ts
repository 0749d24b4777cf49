import type { MeterProvider as ApiMeterProvider } from "@opentelemetry/api";
import type { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import type { Logger } from "pino";
import { secretReader, type SecretSource } from "../secret-source.js";
/** Where Prometheus scrapes the service's metrics: a plain-HTTP listener of its own. */
export interface PrometheusOptions {
  /** Interface to listen on. Default `127.0.0.1`; use `0.0.0.0` or `::` when the scraper is on another host. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Path serving the metrics; any other path answers 404. Default `/metrics`. */
  readonly path?: string;
}

/** Where metrics are pushed as OTLP over HTTP with Protobuf bodies. */
export interface OtlpMetricsOptions {
  /** Full URL of the collector's metrics endpoint, such as `http://collector:4318/v1/metrics`. */
  readonly url: string;
  /**
   * Extra headers of every push, such as an API key. Default none. A function
   * is read at each push, so headers reread on SIGHUP go with the next one.
   */
  readonly headers?: SecretSource<Readonly<Record<string, string>>>;
  /** Time between two pushes, in milliseconds. Default 60 000. */
  readonly intervalMs?: number;
  /** Longest wait for one push, in milliseconds. Default 30 000, or `intervalMs` when that is shorter. */
  readonly timeoutMs?: number;
}

/** Options for {@link createMetricsProvider}. */
export interface MetricsProviderOptions {
  /** `service.name` of the resource, and the name of the meter. Default `agent-service`. */
  readonly serviceName?: string;
  /** `service.version` of the resource, and the version of the meter. Default none (attribute left out). */
  readonly serviceVersion?: string;
  /** Serves Prometheus text on a listener of its own when set. Default none. */
  readonly prometheus?: PrometheusOptions;
  /** Pushes OTLP/Protobuf periodically when set. Default none. */
  readonly otlp?: OtlpMetricsOptions;
  /** Where failed OTLP pushes are reported. Default: not reported. */
  readonly logger?: Logger | undefined;
  /**
   * A meter provider the process already runs, such as the OpenTelemetry
   * SDK's that the process entry starts (see `startProcessTelemetry`), with
   * its readers: `otlp` is then not read, and `prometheus` says where to serve
   * `prometheusExporter`, its Prometheus reader. Flushing and shutting the
   * provider down are its owner's. Default none: the service builds its own.
   */
  readonly external?: {
    readonly meterProvider: ApiMeterProvider;
    readonly prometheusExporter: PrometheusExporter | undefined;
  };
}

/** {@link PrometheusOptions} with every default applied. */
export interface ResolvedPrometheusOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

/** {@link OtlpMetricsOptions} with every default applied. */
export interface ResolvedOtlpMetricsOptions {
  readonly url: string;
  /** The headers in force, read at each push. */
  readonly headers: () => Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** {@link MetricsProviderOptions} with every default applied and every bound checked. */
export interface ResolvedMetricsProviderOptions {
  readonly serviceName: string;
  readonly serviceVersion: string | undefined;
  readonly prometheus: ResolvedPrometheusOptions | undefined;
  readonly otlp: ResolvedOtlpMetricsOptions | undefined;
}

/**
 * Applies the defaults of {@link MetricsProviderOptions} and rejects values
 * the provider cannot work with, naming the option, so a bad configuration
 * fails at start-up.
 */
export function resolveMetricsProviderOptions(options: MetricsProviderOptions): ResolvedMetricsProviderOptions {
  return {
    serviceName: nonEmpty("serviceName", options.serviceName ?? "agent-service"),
    serviceVersion: options.serviceVersion,
    prometheus: options.prometheus === undefined ? undefined : resolvePrometheusOptions(options.prometheus),
    otlp: options.otlp === undefined ? undefined : resolveOtlpMetricsOptions(options.otlp),
  };
}

function resolvePrometheusOptions(options: PrometheusOptions): ResolvedPrometheusOptions {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`prometheus.port must be an integer from 0 to 65535, got ${port}`);
  }
  const path = options.path ?? "/metrics";
  if (!path.startsWith("/")) {
    throw new RangeError(`prometheus.path must start with "/", got "${path}"`);
  }
  return { host: nonEmpty("prometheus.host", options.host ?? "127.0.0.1"), port, path };
}

function resolveOtlpMetricsOptions(options: OtlpMetricsOptions): ResolvedOtlpMetricsOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw new RangeError(`otlp.url must be an absolute URL, got "${options.url}"`, { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RangeError(`otlp.url must be an http or https URL, got "${options.url}"`);
  }
  const intervalMs = positive("otlp.intervalMs", options.intervalMs ?? 60_000);
  // The SDK rejects a push timeout longer than the interval.
  const timeoutMs = positive("otlp.timeoutMs", options.timeoutMs ?? Math.min(30_000, intervalMs));
  if (timeoutMs > intervalMs) {
    throw new RangeError(`otlp.timeoutMs (${timeoutMs}) must not exceed otlp.intervalMs (${intervalMs})`);
  }
  return { url: options.url, headers: secretReader(options.headers ?? {}), intervalMs, timeoutMs };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}

function nonEmpty(name: string, value: string): string {
  if (value === "") {
    throw new RangeError(`${name} must not be empty`);
  }
  return value;
}
