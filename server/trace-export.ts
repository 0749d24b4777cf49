/**
 * Turns one trace of the span file (JSON lines written by the span file
 * exporter) into a JSON file that the Jaeger UI opens with Search → JSON File,
 * for operators who cannot reach a trace collector.
 *
 *     node dist/server/trace-export.js <trace-id> [--file <spans.jsonl>] [--out <file.json>]
 *     npx tsx server/trace-export.ts <trace-id> [--file <spans.jsonl>] [--out <file.json>]
 *
 * `--file` defaults to `AGENT_TRACE_FILE`; `--out` to `trace-<trace-id>.json`
 * in the directory the command was started from. Relative paths are taken from
 * there too: under `npm run trace:export` that is where npm was invoked
 * (`INIT_CWD`), not the package root npm switches to. The span file is read one line at a time; only the
 * spans of the wanted trace are kept. Exits 1, saying why on stderr, when the
 * arguments are wrong, the file cannot be read or holds no span of the trace.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { isValidTraceId } from "@opentelemetry/api";
import { isMalformedSpanLineError, readStoredSpans, toJaegerJson } from "./telemetry/jaeger-trace.js";
import type { StoredSpan } from "./telemetry/stored-span.js";

const usage =
  "usage: trace-export <trace-id> [--file <spans.jsonl>] [--out <file.json>]\n" +
  "  <trace-id>      32 hexadecimal digits\n" +
  "  --file, -f      the span file; default $AGENT_TRACE_FILE\n" +
  "  --out, -o       the Jaeger JSON file to write; default trace-<trace-id>.json\n" +
  "                  in the directory the command was started from\n" +
  "  --help, -h      print this\n";

/** A failure the operator can fix, reported as one line on stderr without a stack. */
class TraceExportError extends Error {
  override readonly name = "TraceExportError";
}

interface TraceExportRequest {
  /** Lowercase. */
  readonly traceId: string;
  readonly spanFile: string;
  readonly outFile: string;
}

/** Reads the command line; `undefined` when help was asked for. */
function parseCommandLine(args: readonly string[], env: NodeJS.ProcessEnv): TraceExportRequest | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        file: { type: "string", short: "f" },
        out: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs throws a TypeError naming the unknown option or missing value.
    throw new TraceExportError(`${error instanceof Error ? error.message : String(error)}\n${usage.trimEnd()}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    return undefined;
  }
  if (positionals.length !== 1) {
    throw new TraceExportError(`expected one trace id, got ${positionals.length}\n${usage.trimEnd()}`);
  }
  const rawTraceId = positionals[0] ?? "";
  const traceId = rawTraceId.toLowerCase();
  // isValidTraceId also rejects the all-zero id, which no span carries.
  if (!/^[0-9a-f]{32}$/.test(traceId) || !isValidTraceId(traceId)) {
    throw new TraceExportError(`not a trace id: "${rawTraceId}" (expected 32 hexadecimal digits, not all zero)`);
  }
  const spanFile = nonEmpty(values.file) ?? nonEmpty(env["AGENT_TRACE_FILE"]);
  if (spanFile === undefined) {
    throw new TraceExportError("no span file: pass --file <spans.jsonl> or set AGENT_TRACE_FILE");
  }
  // npm runs scripts in the package root and says in INIT_CWD where it was started.
  const base = nonEmpty(env["INIT_CWD"]) ?? process.cwd();
  return {
    traceId,
    spanFile: resolve(base, spanFile),
    outFile: resolve(base, nonEmpty(values.out) ?? `trace-${traceId}.json`),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Reads the trace's spans, counting the traces of the file on the way; returns how many spans were written. */
async function exportTrace({ traceId, spanFile, outFile }: TraceExportRequest): Promise<number> {
  const spans: StoredSpan[] = [];
  const traceIds = new Set<string>();
  try {
    for await (const span of readStoredSpans(spanFile)) {
      traceIds.add(span.traceId);
      if (span.traceId === traceId) {
        spans.push(span);
      }
    }
  } catch (error) {
    if (isMalformedSpanLineError(error)) {
      throw new TraceExportError(error.message);
    }
    if (isErrnoException(error)) {
      throw new TraceExportError(
        error.code === "ENOENT" ? `no such span file: ${spanFile}` : `cannot read ${spanFile}: ${error.message}`,
      );
    }
    throw error;
  }
  if (spans.length === 0) {
    throw new TraceExportError(`no spans of trace ${traceId} in ${spanFile}, which holds ${countOf(traceIds.size)}`);
  }
  try {
    await writeFile(outFile, `${JSON.stringify(toJaegerJson(spans))}\n`, "utf8");
  } catch (error) {
    if (isErrnoException(error)) {
      throw new TraceExportError(`cannot write ${outFile}: ${error.message}`);
    }
    throw error;
  }
  return spans.length;
}

function countOf(traces: number): string {
  return traces === 0 ? "no traces" : traces === 1 ? "1 trace" : `${traces} traces`;
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error && typeof error.code === "string";
}

try {
  const request = parseCommandLine(process.argv.slice(2), process.env);
  if (request === undefined) {
    process.stdout.write(usage);
  } else {
    const written = await exportTrace(request);
    process.stdout.write(
      `wrote ${written} spans of trace ${request.traceId} to ${request.outFile}; open Jaeger UI → Search → JSON File\n`,
    );
  }
} catch (error) {
  if (!(error instanceof TraceExportError)) {
    throw error;
  }
  process.stderr.write(`trace-export: ${error.message}\n`);
  // exitCode rather than exit(): stdout and stderr are flushed first.
  process.exitCode = 1;
}
