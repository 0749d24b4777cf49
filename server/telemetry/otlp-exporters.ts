import type { PushMetricExporter } from "@opentelemetry/sdk-metrics";
import type { SpanExporter } from "@opentelemetry/sdk-trace";

/** The OTLP transports of `OTEL_EXPORTER_OTLP_PROTOCOL`, as the OpenTelemetry specification names them. */
export const otlpProtocols = ["http/protobuf", "http/json", "grpc"] as const;

/** One of {@link otlpProtocols}. */
export type OtlpProtocol = (typeof otlpProtocols)[number];

/** Options for {@link createOtlpSpanExporter} and {@link createOtlpMetricExporter}. */
export interface OtlpExporterOptions {
  /** Transport. Default `http/protobuf`. */
  readonly protocol?: OtlpProtocol;
  /**
   * Full URL of the signal's endpoint over HTTP, such as
   * `http://collector:4318/v1/traces`. gRPC ignores it: that exporter reads
   * `OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)ENDPOINT` itself, as a host and port.
   */
  readonly url: string;
  /**
   * Headers of each export, read before each one over HTTP, so headers reread
   * on SIGHUP go with the next export. gRPC takes its metadata once, from
   * `OTEL_EXPORTER_OTLP_HEADERS`, when the exporter is created.
   */
  readonly headers: () => Readonly<Record<string, string>>;
  /** Longest wait for one export, in milliseconds. Default the exporter's (`OTEL_EXPORTER_OTLP_TIMEOUT`, else 10 s). */
  readonly timeoutMs?: number;
}

/**
 * The OTLP span exporter of `options.protocol`. Only the exporter of the
 * protocol in use is loaded: the gRPC one brings a gRPC stack with it.
 * Everything not given here (compression, certificates, the timeout) comes
 * from the standard `OTEL_EXPORTER_OTLP_*` variables, read by the exporter.
 */
export async function createOtlpSpanExporter(options: OtlpExporterOptions): Promise<SpanExporter> {
  switch (options.protocol ?? "http/protobuf") {
    case "grpc": {
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-grpc");
      return new OTLPTraceExporter(timeoutOf(options));
    }
    case "http/json": {
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
      return new OTLPTraceExporter(httpOptionsOf(options));
    }
    case "http/protobuf": {
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
      return new OTLPTraceExporter(httpOptionsOf(options));
    }
  }
}

/** The OTLP metric exporter of `options.protocol`; see {@link createOtlpSpanExporter}. */
export async function createOtlpMetricExporter(options: OtlpExporterOptions): Promise<PushMetricExporter> {
  switch (options.protocol ?? "http/protobuf") {
    case "grpc": {
      const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-grpc");
      return new OTLPMetricExporter(timeoutOf(options));
    }
    case "http/json": {
      const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-http");
      return new OTLPMetricExporter(httpOptionsOf(options));
    }
    case "http/protobuf": {
      const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-proto");
      return new OTLPMetricExporter(httpOptionsOf(options));
    }
  }
}

function timeoutOf(options: OtlpExporterOptions): { timeoutMillis?: number } {
  return options.timeoutMs === undefined ? {} : { timeoutMillis: options.timeoutMs };
}

function httpOptionsOf(options: OtlpExporterOptions) {
  return {
    url: options.url,
    // The exporter calls a headers function (its `HeadersFactory`) before each export.
    headers: async () => ({ ...options.headers() }),
    ...timeoutOf(options),
  };
}
