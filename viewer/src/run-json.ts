/**
 * A run of the list as Connect's JSON sends it (`RunJson`: defaults left out, enums by name,
 * timestamps in RFC 3339, 64-bit and special numbers as strings), turned into what a row shows.
 * Types only from the generated code: this module is in the first script, which carries no
 * Protobuf runtime (a value imported from a generated file would bring it).
 */
import type { StopReasonJson } from "../../gen/agent/v1/run_pb.js";
import type { RunJson, RunStatusJson } from "../../gen/agent/v1/run_service_pb.js";

/** What the runs list shows of a run. */
export interface ListedRun {
  readonly runId: string;
  readonly status: RunStatusJson;
  readonly stopReason: StopReasonJson;
  readonly errorCode: string;
  /** Milliseconds since the epoch; undefined when not recorded. */
  readonly startedAtMs: number | undefined;
  /** Undefined while the run runs. */
  readonly endedAtMs: number | undefined;
  readonly totalTokens: number;
  readonly costUsd: number;
  readonly model: string;
  readonly fallbackUsed: boolean;
  readonly promptVersion: string;
  readonly experimentArm: string;
  readonly principal: string;
}

/**
 * Milliseconds since the epoch of an RFC 3339 timestamp (`2026-12-04T01:02:03.123456789Z`, as
 * the JSON of a Timestamp is written: UTC, up to nine fractional digits); undefined for none or
 * one that does not parse.
 */
export function timestampMsOf(text: string | undefined): number | undefined {
  if (text === undefined || text === "") {
    return undefined;
  }
  // Date.parse is specified for milliseconds: keep three fractional digits.
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? undefined : ms;
}

/** A double from its JSON: a number, or `NaN`/`Infinity`/`-Infinity` as strings. */
function doubleOf(value: number | string | undefined): number {
  return typeof value === "number" ? value : value === undefined ? 0 : Number(value);
}

/** What the list shows of `run`. */
export function listedRun(run: RunJson): ListedRun {
  return {
    runId: run.runId ?? "",
    status: run.status ?? "RUN_STATUS_UNSPECIFIED",
    stopReason: run.stopReason ?? "STOP_REASON_UNSPECIFIED",
    errorCode: run.errorCode ?? "",
    startedAtMs: timestampMsOf(run.startedAt),
    endedAtMs: timestampMsOf(run.endedAt),
    totalTokens: run.usage?.totalTokens ?? 0,
    costUsd: doubleOf(run.costUsd),
    model: run.model ?? "",
    fallbackUsed: run.fallbackUsed ?? false,
    promptVersion: run.promptVersion ?? "",
    experimentArm: run.experimentArm ?? "",
    principal: run.principal ?? "",
  };
}
