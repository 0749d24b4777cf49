import { RunStatus } from "../../../gen/agent/v1/run_service_pb.js";
import { statusWord } from "../format.js";

const statusClass: Readonly<Record<RunStatus, string>> = {
  [RunStatus.UNSPECIFIED]: "status-unknown",
  [RunStatus.RUNNING]: "status-running",
  [RunStatus.COMPLETED]: "status-completed",
  [RunStatus.FAILED]: "status-failed",
  [RunStatus.CANCELED]: "status-canceled",
};

/** A run's status: the word, with a colour as a second signal. */
export function RunStatusBadge({ status }: { readonly status: RunStatus }) {
  return <span class={`status ${statusClass[status]}`}>{statusWord(status)}</span>;
}
