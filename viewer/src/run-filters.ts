/**
 * The runs list's filters, three ways: as the query string (so a filtered view can be bookmarked
 * and the back button works), as the form's values, and as a `ListRuns` request (its JSON).
 */
import type { ListRunsRequestJson, RunStatusJson } from "../../gen/agent/v1/run_service_pb.js";

/** The filters as the form holds them: strings, empty for "any". */
export interface RunFilters {
  /** `running`, `completed`, `failed`, `canceled` or empty. */
  readonly status: string;
  readonly principal: string;
  readonly prompt: string;
  /** name@version. */
  readonly promptVersion: string;
  readonly model: string;
  /** `datetime-local` values, in the browser's time zone. */
  readonly startedAfter: string;
  readonly startedBefore: string;
  readonly inputContains: string;
}

/** Each filter's query-string parameter. */
const parameters: Readonly<Record<keyof RunFilters, string>> = {
  status: "status",
  principal: "principal",
  prompt: "prompt",
  promptVersion: "prompt_version",
  model: "model",
  startedAfter: "after",
  startedBefore: "before",
  inputContains: "input",
};

const filterNames = Object.keys(parameters) as (keyof RunFilters)[];

/** Runs per page of the list: one `ListRuns` call fills the first screen. */
export const runsPageSize = 50;

/** The status filter's choices, in the select's order. */
export const statusChoices: readonly { readonly value: string; readonly label: string; readonly status: RunStatusJson }[] = [
  { value: "", label: "Any", status: "RUN_STATUS_UNSPECIFIED" },
  { value: "running", label: "Running", status: "RUN_STATUS_RUNNING" },
  { value: "completed", label: "Completed", status: "RUN_STATUS_COMPLETED" },
  { value: "failed", label: "Failed", status: "RUN_STATUS_FAILED" },
  { value: "canceled", label: "Canceled", status: "RUN_STATUS_CANCELED" },
];

/** The filters of a query string; unknown parameters are ignored. */
export function filtersFromQuery(query: URLSearchParams): RunFilters {
  const entries = filterNames.map((name) => [name, query.get(parameters[name])?.trim() ?? ""] as const);
  const filters = Object.fromEntries(entries) as Record<keyof RunFilters, string>;
  if (!statusChoices.some((choice) => choice.value === filters.status)) {
    filters.status = "";
  }
  return filters;
}

/** The query string of `filters` (with its `?`, or empty when no filter is set). */
export function queryOfFilters(filters: RunFilters): string {
  const query = new URLSearchParams();
  for (const name of filterNames) {
    const value = filters[name].trim();
    if (value !== "") {
      query.set(parameters[name], value);
    }
  }
  const text = query.toString();
  return text === "" ? "" : `?${text}`;
}

/** A `datetime-local` value as a moment, or undefined when empty or not a date. */
function localMoment(value: string): Date | undefined {
  if (value === "") {
    return undefined;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The `ListRuns` request of `filters`; `principal` is left out unless `isAdmin`. */
export function listRunsRequest(
  filters: RunFilters,
  options: { readonly isAdmin: boolean; readonly pageSize: number; readonly pageToken?: string },
): ListRunsRequestJson {
  const after = localMoment(filters.startedAfter);
  const before = localMoment(filters.startedBefore);
  return {
    pageSize: options.pageSize,
    pageToken: options.pageToken ?? "",
    status: statusChoices.find((choice) => choice.value === filters.status)?.status ?? "RUN_STATUS_UNSPECIFIED",
    principal: options.isAdmin ? filters.principal : "",
    prompt: filters.prompt,
    promptVersion: filters.promptVersion,
    model: filters.model,
    inputContains: filters.inputContains,
    // RFC 3339 in UTC, as the JSON of a Timestamp is written.
    ...(after === undefined ? {} : { startedAfter: after.toISOString() }),
    ...(before === undefined ? {} : { startedBefore: before.toISOString() }),
  };
}
