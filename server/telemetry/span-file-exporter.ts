import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { toStoredSpan } from "./stored-span.js";

/**
 * Creates a span exporter that appends each finished span to the file at
 * `path` as one JSON line (see `StoredSpan`), for operators without a trace
 * collector; `trace-export` turns one trace of the file into a Jaeger UI file.
 *
 * The parent directory is created on the first write. Each batch is appended
 * with one write, batches in the order they were exported. `export` never
 * throws: a failure reaches `resultCallback` as `FAILED` with the error.
 * `forceFlush` and `shutdown` wait for the pending writes; after `shutdown`
 * every export fails.
 */
export function createSpanFileExporter(path: string): SpanExporter {
  let directoryMade = false;
  let shutDown = false;
  // The last write queued; it never rejects. Writes are chained so that the
  // lines of concurrent batches neither interleave nor reorder.
  let lastWrite: Promise<void> = Promise.resolve();

  async function write(lines: string): Promise<void> {
    if (!directoryMade) {
      await mkdir(dirname(path), { recursive: true });
      directoryMade = true;
    }
    // Owner-only: with content recording on, spans hold (redacted) prompt text.
    await appendFile(path, lines, { encoding: "utf8", mode: 0o600 });
  }

  function enqueue(lines: string): Promise<void> {
    const written = lastWrite.then(() => write(lines));
    lastWrite = written.catch(() => undefined);
    return written;
  }

  return {
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
      if (shutDown) {
        resultCallback({ code: ExportResultCode.FAILED, error: new Error("the span file exporter is shut down") });
        return;
      }
      let lines: string;
      try {
        lines = spans.map((span) => `${JSON.stringify(toStoredSpan(span))}\n`).join("");
      } catch (error) {
        resultCallback({ code: ExportResultCode.FAILED, error: toError(error) });
        return;
      }
      if (lines === "") {
        resultCallback({ code: ExportResultCode.SUCCESS });
        return;
      }
      enqueue(lines).then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: unknown) => resultCallback({ code: ExportResultCode.FAILED, error: toError(error) }),
      );
    },

    forceFlush(): Promise<void> {
      return lastWrite;
    },

    shutdown(): Promise<void> {
      shutDown = true;
      return lastWrite;
    },
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
