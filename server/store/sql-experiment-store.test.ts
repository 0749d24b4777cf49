import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyMigrations,
  createSqlExperimentStore,
  createSqlPromptStore,
  createSqlRunStore,
  type ExperimentRow,
  type ExperimentStore,
  type PromptStore,
  type RunStore,
  type SqlDatabase,
} from "./index.js";
import { completedRun, uniqueId } from "./testing/run-fixtures.js";
import { storeEngines } from "./testing/engines.js";

function experiment(prompt: string, fields: Partial<ExperimentRow> = {}): ExperimentRow {
  return {
    experimentId: uniqueId("exp"),
    prompt,
    arms: JSON.stringify([
      { name: "control", version: "a", weight: 1 },
      { name: "b", version: "b", weight: 1 },
    ]),
    canary: "",
    canaryState: "",
    status: "running",
    note: "",
    startedBy: "admin-1",
    startedAt: new Date(Date.UTC(2026, 0, 1)),
    endedAt: undefined,
    endedBy: "",
    endReason: "",
    ...fields,
  };
}

describe.each(storeEngines)("experiment store on $name", (engine) => {
  let store: ExperimentStore & PromptStore & RunStore;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    let db: SqlDatabase;
    ({ db, dispose } = await engine.open());
    await applyMigrations(db);
    store = { ...createSqlExperimentStore(db), ...createSqlPromptStore(db), ...createSqlRunStore(db) };
  });
  afterAll(() => dispose());

  it("runs at most one experiment per prompt, ends it once, and moves the prompts' generation each time", async () => {
    const prompt = uniqueId("p");
    const first = experiment(prompt);
    const generation = await store.promptsGeneration();
    expect(await store.startExperiment(first)).toEqual({ kind: "started" });
    expect(await store.promptsGeneration()).toBe(generation + 1);
    const second = await store.startExperiment(experiment(prompt));
    expect(second).toMatchObject({ kind: "conflict", running: { experimentId: first.experimentId } });
    expect((await store.runningExperiments()).map((row) => row.experimentId)).toContain(first.experimentId);
    const ending = { status: "rolled_back" as const, endedBy: "canary-check", endedAt: new Date(Date.UTC(2026, 0, 2)), endReason: "Roll back at look 1" };
    const [a, b] = await Promise.all([store.endExperiment(first.experimentId, ending), store.endExperiment(first.experimentId, ending)]);
    // Two replicas ending it at once: one wins.
    expect([a, b].filter((row) => row !== undefined)).toHaveLength(1);
    expect(await store.getExperiment(first.experimentId)).toMatchObject({ status: "rolled_back", endedBy: "canary-check", endReason: "Roll back at look 1" });
    expect((await store.runningExperiments()).map((row) => row.experimentId)).not.toContain(first.experimentId);
    // Ended, the prompt takes a new one.
    expect((await store.startExperiment(experiment(prompt))).kind).toBe("started");
    expect((await store.listExperiments(prompt, 10)).map((row) => row.status).sort()).toEqual(["rolled_back", "running"]);
  });

  it("reads each ended run of an experiment as its arm's outcome, with its feedback, in a window", async () => {
    const experimentId = uniqueId("exp");
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 10, minute));
    const run = (arm: string, minute: number, fields: Partial<Parameters<typeof completedRun>[0]> = {}) =>
      completedRun({ runId: uniqueId("run"), experimentId, experimentArm: arm, startedAt: at(minute), endedAt: new Date(at(minute).getTime() + 1_500), ...fields });
    const runs = [run("control", 1), run("b", 2, { stopReason: "max_iterations" }), run("b", 3, { status: "failed", stopReason: "", result: undefined }), run("control", 30)];
    await store.write({ runs, events: [] });
    expect(await store.submitFeedback({ runId: runs[0]?.runId ?? "", principal: "svc", score: 4, comment: "good", at: at(5) })).toEqual({ first: true });
    expect(await store.submitFeedback({ runId: runs[0]?.runId ?? "", principal: "svc", score: 5, comment: "better", at: at(6) })).toEqual({ first: false });
    const all = await store.experimentOutcomes(experimentId, { limit: 100 });
    expect(all.map((o) => [o.arm, o.succeeded, o.latencyMs, o.feedback])).toEqual([
      ["control", true, 1_500, 5],
      ["b", false, 1_500, undefined],
      ["b", false, 1_500, undefined],
      ["control", true, 1_500, undefined],
    ]);
    expect(all[0]?.tokens).toBe(runs[0]?.totalTokens);
    expect((await store.experimentOutcomes(experimentId, { after: at(2), before: at(30), limit: 100 })).map((o) => o.arm)).toEqual(["b", "b"]);
  });
});
