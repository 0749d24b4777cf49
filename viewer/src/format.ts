/**
 * How the viewer writes numbers, times and enum values for people: durations and costs in human
 * units, counts with thousands separators, statuses and stop reasons as words. Pure functions, so
 * the pages agree and the tests can pin them down. Enum values are taken by their JSON names
 * (`RUN_STATUS_FAILED`), as the runs list has them; the other pages name them with `enumJson`
 * (`enum-json.ts`). Types only from the generated code: this module is in the first script, which
 * carries no Protobuf runtime.
 */
import type { StopReasonJson, ToolCallStatusJson } from "../../gen/agent/v1/run_pb.js";
import type { RunStatusJson } from "../../gen/agent/v1/run_service_pb.js";

const counts = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A count with thousands separators: `12,345`. */
export function formatCount(value: number | bigint): string {
  return counts.format(value);
}

/** Tokens, like {@link formatCount}: `12,345`. */
export const formatTokens = formatCount;

/**
 * A duration in milliseconds: `350 ms` under a second, `1.2 s` under a minute, `2 min 5 s` under
 * an hour, `1 h 2 min` beyond. Negative or not finite reads as `—`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return "—";
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  // Rounded to a tenth of a second first, so 59.96 s reads as `1 min 0 s`, not `60.0 s`.
  const tenths = Math.round(ms / 100);
  if (tenths < 600) {
    return `${(tenths / 10).toFixed(1)} s`;
  }
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  }
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * A cost in US dollars: two decimals from a dollar up (`$1.23`, `$1,234.50`), two significant
 * digits below (`$0.0012`, `$0.12`), `$0` for nothing.
 */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd) || usd < 0) {
    return "—";
  }
  if (usd === 0) {
    return "$0";
  }
  if (usd >= 1) {
    return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  }
  // Two significant digits: as many decimals as the leading zeros need, and one more.
  const decimals = Math.min(10, Math.max(2, Math.ceil(-Math.log10(usd)) + 1));
  return `$${usd.toFixed(decimals)}`;
}

/** A share from 0 to 1 as a percentage: `12.5%`. */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) {
    return "—";
  }
  // One decimal, without a trailing `.0`: 12.5%, 95%.
  return `${(share * 100).toFixed(1).replace(/\.0$/, "")}%`;
}

const pad = (value: number): string => String(value).padStart(2, "0");

/** A moment in the browser's time zone, to the second: `2026-12-03 15:20:01`. */
export function formatTime(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** A byte count in binary units: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatBytes(bytes: number | bigint): string {
  const value = Number(bytes);
  if (value < 1024) {
    return `${value} B`;
  }
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let scaled = value / 1024;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${scaled.toFixed(1)} ${units[unit] ?? "TiB"}`;
}

const statusWords: Readonly<Record<RunStatusJson, string>> = {
  RUN_STATUS_UNSPECIFIED: "Unknown",
  RUN_STATUS_RUNNING: "Running",
  RUN_STATUS_COMPLETED: "Completed",
  RUN_STATUS_FAILED: "Failed",
  RUN_STATUS_CANCELED: "Canceled",
};

/** A run's status as a word: `Running`, `Completed`, `Failed`, `Canceled`. */
export function statusWord(status: RunStatusJson): string {
  return statusWords[status] ?? "Unknown";
}

const stopReasons: Readonly<Record<StopReasonJson, string>> = {
  STOP_REASON_UNSPECIFIED: "",
  STOP_REASON_FINAL_ANSWER: "Final answer",
  STOP_REASON_MAX_ITERATIONS: "Iteration limit",
  STOP_REASON_TIME_LIMIT: "Time limit",
  STOP_REASON_CANCELED: "Canceled",
  STOP_REASON_ERROR: "Error",
  STOP_REASON_COST_LIMIT: "Cost limit",
};

/** Why a run stopped, as words; empty when unspecified. */
export function stopReasonWords(reason: StopReasonJson): string {
  return stopReasons[reason] ?? "";
}

const toolStatuses: Readonly<Record<ToolCallStatusJson, string>> = {
  TOOL_CALL_STATUS_UNSPECIFIED: "Running",
  TOOL_CALL_STATUS_OK: "OK",
  TOOL_CALL_STATUS_UNKNOWN_TOOL: "Unknown tool",
  TOOL_CALL_STATUS_INVALID_ARGUMENTS: "Invalid arguments",
  TOOL_CALL_STATUS_TIMEOUT: "Timed out",
  TOOL_CALL_STATUS_FAILED: "Failed",
};

/** A tool call's outcome as words. */
export function toolStatusWords(status: ToolCallStatusJson): string {
  return toolStatuses[status] ?? "Running";
}

/** JSON text indented for reading; text that is not JSON comes back as it is. */
export function prettyJson(text: string): string {
  if (text.trim() === "") {
    return text;
  }
  try {
    return JSON.stringify(JSON.parse(text) as unknown, null, 2);
  } catch {
    return text;
  }
}
