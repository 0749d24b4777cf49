import type { RunEventRow, RunRow, RunStatus } from "./run-store.js";

/** A row as a driver returns it: column name to value, narrowed by the readers below. */
export type SqlRecord = Readonly<Record<string, unknown>>;

/** One column of `runs`, the SQL array type its batch is sent as, and the field it comes from. */
interface RunParam {
  readonly column: string;
  readonly arrayType: string;
  readonly value: (run: RunRow) => unknown;
}

/**
 * Every column of `runs`, in the order of the batch upsert's parameters.
 * Times travel as ISO text, the one form both drivers send unchanged;
 * `models_used` as JSON (see the upsert).
 */
export const runParams: readonly RunParam[] = [
  { column: "run_id", arrayType: "text", value: (run) => run.runId },
  { column: "principal", arrayType: "text", value: (run) => run.principal },
  { column: "thread_id", arrayType: "text", value: (run) => run.threadId },
  { column: "status", arrayType: "text", value: (run) => run.status },
  { column: "input", arrayType: "text", value: (run) => run.input },
  { column: "output", arrayType: "text", value: (run) => run.output },
  { column: "prompt_version", arrayType: "text", value: (run) => run.promptVersion },
  { column: "model", arrayType: "text", value: (run) => run.model },
  { column: "models_used", arrayType: "text", value: (run) => JSON.stringify(run.modelsUsed) },
  { column: "input_tokens", arrayType: "bigint", value: (run) => run.inputTokens },
  { column: "output_tokens", arrayType: "bigint", value: (run) => run.outputTokens },
  { column: "total_tokens", arrayType: "bigint", value: (run) => run.totalTokens },
  { column: "cost_usd", arrayType: "double precision", value: (run) => run.costUsd },
  { column: "iterations", arrayType: "integer", value: (run) => run.iterations },
  { column: "stop_reason", arrayType: "text", value: (run) => run.stopReason },
  { column: "error_code", arrayType: "text", value: (run) => run.errorCode },
  { column: "error_message", arrayType: "text", value: (run) => run.errorMessage },
  { column: "error_status", arrayType: "text", value: (run) => run.errorStatus },
  { column: "trace_id", arrayType: "text", value: (run) => run.traceId },
  { column: "idempotency_key", arrayType: "text", value: (run) => run.idempotencyKey },
  { column: "request_digest", arrayType: "text", value: (run) => run.requestDigest },
  { column: "replica_id", arrayType: "text", value: (run) => run.replicaId },
  { column: "started_at", arrayType: "timestamptz", value: (run) => run.startedAt.toISOString() },
  { column: "ended_at", arrayType: "timestamptz", value: (run) => run.endedAt?.toISOString() ?? null },
  { column: "result", arrayType: "bytea", value: (run) => run.result ?? null },
  { column: "experiment_id", arrayType: "text", value: (run) => run.experimentId ?? "" },
  { column: "experiment_arm", arrayType: "text", value: (run) => run.experimentArm ?? "" },
  { column: "fallback_used", arrayType: "boolean", value: (run) => run.fallbackUsed ?? false },
];

/** The columns of `runs`, in {@link runParams} order. */
export const runColumnNames: readonly string[] = runParams.map((param) => param.column);

/** A `runs` row as a {@link RunRow}. @throws {TypeError} when a column has a type the schema does not give it. */
export function toRunRow(record: SqlRecord): RunRow {
  return {
    runId: text(record, "run_id"),
    principal: text(record, "principal"),
    threadId: text(record, "thread_id"),
    status: status(record),
    input: text(record, "input"),
    output: text(record, "output"),
    promptVersion: text(record, "prompt_version"),
    model: text(record, "model"),
    modelsUsed: textArray(record, "models_used"),
    inputTokens: integer(record, "input_tokens"),
    outputTokens: integer(record, "output_tokens"),
    totalTokens: integer(record, "total_tokens"),
    costUsd: float(record, "cost_usd"),
    iterations: integer(record, "iterations"),
    stopReason: text(record, "stop_reason"),
    errorCode: text(record, "error_code"),
    errorMessage: text(record, "error_message"),
    errorStatus: text(record, "error_status"),
    traceId: text(record, "trace_id"),
    idempotencyKey: text(record, "idempotency_key"),
    requestDigest: text(record, "request_digest"),
    replicaId: text(record, "replica_id"),
    startedAt: timestamp(record, "started_at"),
    endedAt: record["ended_at"] === null ? undefined : timestamp(record, "ended_at"),
    result: record["result"] === null ? undefined : bytes(record, "result"),
    // Absent rather than empty when none, as a row written without them reads back.
    ...(text(record, "experiment_id") === "" ? {} : { experimentId: text(record, "experiment_id"), experimentArm: text(record, "experiment_arm") }),
    ...(flag(record, "fallback_used") ? { fallbackUsed: true } : {}),
  };
}

/** A `run_events` row as a {@link RunEventRow}. @throws {TypeError} as {@link toRunRow}. */
export function toRunEventRow(record: SqlRecord): RunEventRow {
  return {
    runId: text(record, "run_id"),
    seq: integer(record, "seq"),
    lastSeq: integer(record, "last_seq"),
    kind: text(record, "kind"),
    payload: bytes(record, "payload"),
    at: timestamp(record, "at"),
  };
}

const runStatuses: ReadonlySet<string> = new Set<RunStatus>(["running", "completed", "failed", "canceled"]);

function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === "string" && runStatuses.has(value);
}

function status(record: SqlRecord): RunStatus {
  const value = record["status"];
  return isRunStatus(value) ? value : unexpected("status", value);
}

/** A `text` column. @throws {TypeError} when it holds anything else. */
export function text(record: SqlRecord, column: string): string {
  const value = record[column];
  return typeof value === "string" ? value : unexpected(column, value);
}

function textArray(record: SqlRecord, column: string): string[] {
  const value = record[column];
  return isStringArray(value) ? value : unexpected(column, value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item: unknown) => typeof item === "string");
}

/** An integer column as a number: `pg` returns `bigint` columns as text, PGlite as a number. */
export function integer(record: SqlRecord, column: string): number {
  const value = record[column];
  const number = typeof value === "string" || typeof value === "bigint" ? Number(value) : value;
  return typeof number === "number" && Number.isSafeInteger(number) ? number : unexpected(column, value);
}

function flag(record: SqlRecord, column: string): boolean {
  const value = record[column];
  return typeof value === "boolean" ? value : unexpected(column, value);
}

function float(record: SqlRecord, column: string): number {
  const value = record[column];
  return typeof value === "number" ? value : unexpected(column, value);
}

/** A `timestamptz` column as a valid Date. @throws {TypeError} when it holds anything else. */
export function timestamp(record: SqlRecord, column: string): Date {
  const value = record[column];
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : unexpected(column, value);
}

/**
 * A copy as a plain `Uint8Array`: the drivers hand out `Buffer`s, which can
 * be views of a shared pool of memory and compare unequal to plain arrays.
 */
function bytes(record: SqlRecord, column: string): Uint8Array {
  const value = record[column];
  return value instanceof Uint8Array ? new Uint8Array(value) : unexpected(column, value);
}

function unexpected(column: string, value: unknown): never {
  throw new TypeError(`column ${column} of the run store holds an unexpected ${value === null ? "null" : typeof value}`);
}
