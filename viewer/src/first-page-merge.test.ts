import { describe, expect, it } from "vitest";
import type { RunJson, RunStatusJson } from "../../gen/agent/v1/run_service_pb.js";
import { mergeFirstPage } from "./first-page-merge.js";

const run = (runId: string, status: RunStatusJson = "RUN_STATUS_COMPLETED"): RunJson & { runId: string } => ({ runId, status });

describe("mergeFirstPage", () => {
  it("puts new runs on top and refreshes the runs it shows", () => {
    const shown = [run("c", "RUN_STATUS_RUNNING"), run("b"), run("a")];
    const merged = mergeFirstPage(shown, [run("e"), run("d"), run("c"), run("b")]);
    expect(merged.runs.map((r) => r.runId)).toEqual(["e", "d", "c", "b", "a"]);
    expect(merged.runs[2]?.status).toBe("RUN_STATUS_COMPLETED");
    expect(merged.added).toEqual(["e", "d"]);
  });

  it("replaces the list when every run of the fresh page is new: more started than a page holds", () => {
    const shown = [run("b"), run("a")];
    const merged = mergeFirstPage(shown, [run("z"), run("y")]);
    expect(merged).toEqual({ runs: [run("z"), run("y")], added: ["z", "y"], replaced: true });
    // Not for a list that had nothing to lose.
    expect(mergeFirstPage([], [run("z")]).replaced).toBe(false);
    expect(mergeFirstPage(shown, [run("c"), run("b")]).replaced).toBe(false);
  });

  it("adds nothing when nothing is new", () => {
    const shown = [run("b"), run("a")];
    expect(mergeFirstPage(shown, [run("b")]).added).toEqual([]);
  });
});
