import type { Client } from "@connectrpc/connect";
import type { StreamResponse } from "../../../gen/agent/v1/agent_service_pb.js";
import type { Run, RunService } from "../../../gen/agent/v1/run_service_pb.js";

/** A run as `GetRun` reports it, with every one of its stored events in order. */
export interface RecordedRun {
  readonly run: Run;
  readonly events: readonly StreamResponse[];
}

/**
 * `GetRun` with `include_events`, page by page (`events_after_seq` while `more_events`), as the
 * viewer reads a run: what a test compares the run's page with.
 */
export async function recordedRun(runs: Client<typeof RunService>, runId: string): Promise<RecordedRun> {
  const events: StreamResponse[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await runs.getRun({ runId, includeEvents: true, eventsAfterSeq: afterSeq });
    if (page.run === undefined) {
      throw new Error(`GetRun returned no run for ${runId}`);
    }
    events.push(...page.events.flatMap((recorded) => (recorded.event === undefined ? [] : [recorded.event])));
    const last = page.events.at(-1);
    if (!page.moreEvents || last === undefined) {
      return { run: page.run, events };
    }
    afterSeq = last.seq;
  }
}
