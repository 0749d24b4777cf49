import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { storedSpanSchema, type StoredAttributes, type StoredAttributeValue, type StoredSpan } from "./stored-span.js";

/** A tag of a Jaeger span, process or log: a key with a typed value. */
export type JaegerTag =
  | { readonly key: string; readonly type: "string"; readonly value: string }
  | { readonly key: string; readonly type: "bool"; readonly value: boolean }
  | { readonly key: string; readonly type: "int64" | "float64"; readonly value: number };

/** A link from a Jaeger span to its parent. */
export interface JaegerReference {
  readonly refType: "CHILD_OF";
  readonly traceID: string;
  readonly spanID: string;
}

/** A timestamped log of a Jaeger span: an OpenTelemetry span event. */
export interface JaegerLog {
  /** Microseconds since the Unix epoch. */
  readonly timestamp: number;
  /** The event's name as the `event` field, then its attributes. */
  readonly fields: readonly JaegerTag[];
}

/** A span as Jaeger's query API and UI write it. */
export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  /** Always 1: sampled. */
  readonly flags: number;
  readonly operationName: string;
  /** The parent, if any. */
  readonly references: readonly JaegerReference[];
  /** Microseconds since the Unix epoch. */
  readonly startTime: number;
  /** Microseconds. */
  readonly duration: number;
  readonly tags: readonly JaegerTag[];
  readonly logs: readonly JaegerLog[];
  /** Key of the trace's `processes`. */
  readonly processID: string;
  readonly warnings: null;
}

/** The service that emitted spans: one per distinct resource. */
export interface JaegerProcess {
  /** The resource's `service.name`; `unknown_service` without one. */
  readonly serviceName: string;
  /** The resource's other attributes. */
  readonly tags: readonly JaegerTag[];
}

/** One trace as Jaeger's query API and UI write it. */
export interface JaegerTrace {
  readonly traceID: string;
  /** Sorted by start time. */
  readonly spans: readonly JaegerSpan[];
  /** Keyed `p1`, `p2`… in order of first appearance. */
  readonly processes: Readonly<Record<string, JaegerProcess>>;
  readonly warnings: null;
}

/** The JSON that the Jaeger UI opens with Search → JSON File, in the shape of its query API's answer. */
export interface JaegerFile {
  readonly data: readonly JaegerTrace[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly errors: null;
}

/** A line of a span file that is not a stored span. */
export class MalformedSpanLineError extends Error {
  override readonly name = "MalformedSpanLineError";
  /** The span file. */
  readonly path: string;
  /** The line's number, counting from 1. */
  readonly lineNumber: number;

  constructor(path: string, lineNumber: number, reason: string) {
    super(`${path}, line ${lineNumber}: not a stored span: ${reason}`);
    this.path = path;
    this.lineNumber = lineNumber;
  }
}

/** Whether `error` is a {@link MalformedSpanLineError}. */
export function isMalformedSpanLineError(error: unknown): error is MalformedSpanLineError {
  return error instanceof MalformedSpanLineError;
}

/**
 * Reads the spans of a span file (JSON lines, see `StoredSpan`) one line at a
 * time, so a large file is never held in memory. Blank lines are skipped.
 *
 * @throws {@link MalformedSpanLineError} at the first line that is not a
 *   stored span, naming its line number; the file system's error (such as
 *   `ENOENT`) when the file cannot be read.
 */
export async function* readStoredSpans(path: string): AsyncGenerator<StoredSpan, void, undefined> {
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === "") {
        continue;
      }
      yield parseStoredSpan(path, lineNumber, line);
    }
  } finally {
    // Also closes the file when the caller stops early.
    lines.close();
  }
}

function parseStoredSpan(path: string, lineNumber: number, line: string): StoredSpan {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new MalformedSpanLineError(path, lineNumber, error instanceof Error ? error.message : String(error));
  }
  const parsed = storedSpanSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw new MalformedSpanLineError(path, lineNumber, `${where}${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/**
 * Converts stored spans to the JSON that the Jaeger UI opens: one trace per
 * distinct trace id (in order of first appearance), its spans sorted by start
 * time, one process per distinct resource. Times become microseconds. Each span
 * gets a `span.kind` tag, and an error status the tags `error`,
 * `otel.status_code` and `otel.status_description` as Jaeger's own OTLP
 * receiver does; array attributes become string tags holding JSON.
 */
export function toJaegerJson(spans: readonly StoredSpan[]): JaegerFile {
  const traces = new Map<string, StoredSpan[]>();
  for (const span of spans) {
    const trace = traces.get(span.traceId);
    if (trace === undefined) {
      traces.set(span.traceId, [span]);
    } else {
      trace.push(span);
    }
  }
  return {
    data: [...traces].map(([traceId, traceSpans]) => toJaegerTrace(traceId, traceSpans)),
    total: 0,
    limit: 0,
    offset: 0,
    errors: null,
  };
}

function toJaegerTrace(traceId: string, spans: readonly StoredSpan[]): JaegerTrace {
  const processIds = new Map<string, string>();
  const processes: Record<string, JaegerProcess> = {};
  const processIdOf = (resource: StoredAttributes): string => {
    const key = JSON.stringify(Object.entries(resource).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let processId = processIds.get(key);
    if (processId === undefined) {
      processId = `p${processIds.size + 1}`;
      processIds.set(key, processId);
      processes[processId] = toJaegerProcess(resource);
    }
    return processId;
  };
  // Stable: spans starting in the same nanosecond keep the file's order.
  const sorted = [...spans].sort((a, b) => compareBigInt(BigInt(a.startTimeUnixNano), BigInt(b.startTimeUnixNano)));
  return {
    traceID: traceId,
    spans: sorted.map((span) => toJaegerSpan(span, processIdOf(span.resource))),
    processes,
    warnings: null,
  };
}

function toJaegerSpan(span: StoredSpan, processId: string): JaegerSpan {
  const start = BigInt(span.startTimeUnixNano);
  const end = BigInt(span.endTimeUnixNano);
  return {
    traceID: span.traceId,
    spanID: span.spanId,
    flags: 1,
    operationName: span.name,
    references:
      span.parentSpanId === undefined
        ? []
        : [{ refType: "CHILD_OF", traceID: span.traceId, spanID: span.parentSpanId }],
    startTime: nanosToMicros(start),
    duration: end > start ? nanosToMicros(end - start) : 0,
    tags: [...toJaegerTags(span.attributes), ...spanTags(span)],
    logs: span.events.map((event) => ({
      timestamp: nanosToMicros(BigInt(event.timeUnixNano)),
      fields: [{ key: "event", type: "string", value: event.name }, ...toJaegerTags(event.attributes)],
    })),
    processID: processId,
    warnings: null,
  };
}

/** The tags Jaeger derives from a span's kind, status and instrumentation scope. */
function spanTags(span: StoredSpan): JaegerTag[] {
  const tags: JaegerTag[] = [{ key: "span.kind", type: "string", value: span.kind }];
  if (span.status.code === "error") {
    tags.push({ key: "error", type: "bool", value: true }, { key: "otel.status_code", type: "string", value: "ERROR" });
    if (span.status.message !== undefined && span.status.message !== "") {
      tags.push({ key: "otel.status_description", type: "string", value: span.status.message });
    }
  } else if (span.status.code === "ok") {
    tags.push({ key: "otel.status_code", type: "string", value: "OK" });
  }
  tags.push({ key: "otel.scope.name", type: "string", value: span.scope.name });
  if (span.scope.version !== undefined) {
    tags.push({ key: "otel.scope.version", type: "string", value: span.scope.version });
  }
  return tags;
}

function toJaegerProcess(resource: StoredAttributes): JaegerProcess {
  const { "service.name": serviceName, ...others } = resource;
  return {
    serviceName: typeof serviceName === "string" && serviceName !== "" ? serviceName : "unknown_service",
    tags: toJaegerTags(others),
  };
}

function toJaegerTags(attributes: StoredAttributes): JaegerTag[] {
  return Object.entries(attributes).map(([key, value]) => toJaegerTag(key, value));
}

function toJaegerTag(key: string, value: StoredAttributeValue): JaegerTag {
  if (typeof value === "string") {
    return { key, type: "string", value };
  }
  if (typeof value === "boolean") {
    return { key, type: "bool", value };
  }
  if (typeof value === "number") {
    return { key, type: Number.isSafeInteger(value) ? "int64" : "float64", value };
  }
  // Jaeger tags have no array type; its OTLP receiver writes arrays as JSON too.
  return { key, type: "string", value: JSON.stringify(value) };
}

/** Whole microseconds; a number is exact up to 2^53 µs, far beyond any Unix time in µs. */
function nanosToMicros(nanos: bigint): number {
  return Number(nanos / 1_000n);
}

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
