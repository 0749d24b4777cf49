import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { Logger } from "pino";

/** The part of an OpenTelemetry exporter (spans or metrics) whose results are observed. */
export interface ObservableExporter<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
}

/** Options for {@link reportExportFailures}. */
export interface ExportFailureLogOptions {
  /** What is exported, for the log line: `traces` or `metrics`. */
  readonly signal: "traces" | "metrics";
  readonly logger: Logger;
  /** Least time between two lines about continuing failures. Default 60,000 ms. */
  readonly intervalMs?: number;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  readonly clock?: () => number;
}

/**
 * Logs failed exports of `exporter`, which OpenTelemetry otherwise reports
 * only through its global diagnostics logger (off by default): an operator
 * whose collector is down or rejects the data would see nothing. The first
 * failure is logged at once, continuing failures once per interval with a
 * count, and the first success after failures says exports work again.
 * Returns the same exporter, its `export` wrapped.
 */
export function reportExportFailures<T, E extends ObservableExporter<T>>(exporter: E, options: ExportFailureLogOptions): E {
  const intervalMs = options.intervalMs ?? 60_000;
  const clock = options.clock ?? (() => performance.now());
  let failedSince: number | undefined;
  let unreported = 0;
  let lastReport = Number.NEGATIVE_INFINITY;
  const observe = (result: ExportResult) => {
    if (result.code === ExportResultCode.SUCCESS) {
      if (failedSince !== undefined) {
        options.logger.info({ signal: options.signal }, `OTLP ${options.signal} export works again`);
      }
      failedSince = undefined;
      unreported = 0;
      return;
    }
    failedSince ??= clock();
    unreported++;
    if (clock() - lastReport < intervalMs) {
      return;
    }
    lastReport = clock();
    // The error says what the collector answered (status, message); it never
    // holds the export headers, which may carry an API key.
    const err = result.error;
    options.logger.warn(
      {
        signal: options.signal,
        failed_exports: unreported,
        error: err === undefined ? undefined : { message: err.message, code: "code" in err ? err.code : undefined },
      },
      `OTLP ${options.signal} export failed; data is being dropped`,
    );
    unreported = 0;
  };
  const original = exporter.export.bind(exporter);
  exporter.export = (items, resultCallback) =>
    original(items, (result) => {
      observe(result);
      resultCallback(result);
    });
  return exporter;
}
