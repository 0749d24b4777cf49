import type { RunStatusJson } from "../../../gen/agent/v1/run_service_pb.js";
import { statusWord } from "../format.js";

const statusClass: Readonly<Record<RunStatusJson, string>> = {
  RUN_STATUS_UNSPECIFIED: "status-unknown",
  RUN_STATUS_RUNNING: "status-running",
  RUN_STATUS_COMPLETED: "status-completed",
  RUN_STATUS_FAILED: "status-failed",
  RUN_STATUS_CANCELED: "status-canceled",
};

/** A run's status (by its JSON name): the word, with a colour as a second signal. */
export function RunStatusBadge({ status }: { readonly status: RunStatusJson }) {
  return <span class={`status ${statusClass[status] ?? "status-unknown"}`}>{statusWord(status)}</span>;
}
