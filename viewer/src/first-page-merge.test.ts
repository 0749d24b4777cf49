import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RunSchema, RunStatus } from "../../gen/agent/v1/run_service_pb.js";
import { mergeFirstPage } from "./first-page-merge.js";

const run = (runId: string, status = RunStatus.COMPLETED) => create(RunSchema, { runId, status });

describe("mergeFirstPage", () => {
  it("puts new runs on top and refreshes the runs it shows", () => {
    const shown = [run("c", RunStatus.RUNNING), run("b"), run("a")];
    const merged = mergeFirstPage(shown, [run("e"), run("d"), run("c"), run("b")]);
    expect(merged.runs.map((r) => r.runId)).toEqual(["e", "d", "c", "b", "a"]);
    expect(merged.runs[2]?.status).toBe(RunStatus.COMPLETED);
    expect(merged.added).toEqual(["e", "d"]);
  });

  it("adds nothing when nothing is new", () => {
    const shown = [run("b"), run("a")];
    expect(mergeFirstPage(shown, [run("b")]).added).toEqual([]);
  });
});
