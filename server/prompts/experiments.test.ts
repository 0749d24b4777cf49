import pino from "pino";
import { describe, expect, it } from "vitest";
import type { ArmOutcomeRow, AuditEntry, ExperimentEnding, ExperimentRow, ExperimentStore, PromptStore } from "../store/index.js";
import { createExperimentManager } from "./experiments.js";
import type { PromptActivationRequest, PromptActivationOutcome } from "../store/index.js";

const logger = pino({ level: "silent" });

/** An in-memory store with one prompt whose versions are `control` and `canary`, and the outcomes the test sets. */
function fakes(outcomes: ArmOutcomeRow[] = []) {
  const experiments = new Map<string, ExperimentRow>();
  const audit: AuditEntry[] = [];
  const activations: PromptActivationRequest[] = [];
  let endedElsewhere = false;
  const store: Pick<PromptStore, "getPromptVersion"> & ExperimentStore = {
    async getPromptVersion(name, version) {
      return ["control", "canary"].includes(version) ? { name, version, content: "{}", author: "a", note: "", createdAt: new Date(0) } : undefined;
    },
    async startExperiment(row) {
      const running = [...experiments.values()].find((e) => e.prompt === row.prompt && e.status === "running");
      if (running !== undefined) return { kind: "conflict", running };
      experiments.set(row.experimentId, row);
      return { kind: "started" };
    },
    async endExperiment(id, ending: ExperimentEnding) {
      const row = experiments.get(id);
      if (row === undefined || row.status !== "running" || endedElsewhere) return undefined;
      const ended = { ...row, ...ending };
      experiments.set(id, ended);
      return ended;
    },
    getExperiment: async (id) => experiments.get(id),
    listExperiments: async () => [...experiments.values()],
    runningExperiments: async () => [...experiments.values()].filter((e) => e.status === "running"),
    async saveCanaryState(id, state) {
      const row = experiments.get(id);
      if (row !== undefined) experiments.set(id, { ...row, canaryState: state });
    },
    experimentOutcomes: async () => outcomes,
    submitFeedback: async () => ({ first: true }),
  };
  const manager = createExperimentManager({
    store,
    catalog: { active: (name) => (name === "checkout" ? ({ version: "control" } as never) : undefined), refresh: async () => undefined },
    registrar: {
      async activate(request): Promise<PromptActivationOutcome> {
        activations.push({ ...request, activatedAt: new Date(0) });
        return { kind: "activated", previousVersion: "control", activation: { seq: 1, ...request, activatedAt: new Date(0) } };
      },
    },
    audit: { append: (entry) => audit.push(entry) },
    logger,
    checkEveryMs: 0,
  });
  return { manager, experiments, audit, activations, endElsewhere: () => (endedElsewhere = true) };
}

const arms = [
  { name: "control", version: "control", weight: 1 },
  { name: "canary", version: "canary", weight: 1 },
];
const start = { prompt: "checkout", arms, note: "", startedBy: "ops", traceId: "" };
const outcomes = (arm: string, runs: number, succeeded: (i: number) => boolean): ArmOutcomeRow[] =>
  Array.from({ length: runs }, (_, i) => ({ arm, succeeded: succeeded(i), latencyMs: 100 + (i % 7), tokens: 10, costUsd: 0.001, feedback: undefined }));

describe("experiment manager", () => {
  it("refuses what a canary cannot be, naming the field", async () => {
    const { manager } = fakes();
    await expect(manager.start({ ...start, arms: [...arms].reverse(), canary: {} })).rejects.toThrow("arms[0].version: a canary's first arm is the control: the active version control");
    await expect(manager.start({ ...start, arms: [...arms, { name: "third", version: "x", weight: 1 }], canary: {} })).rejects.toThrow(/arms\[2\]\.version/);
    await expect(manager.start({ ...start, canary: { minRuns: 3 } })).rejects.toThrow(/^canary\.minRuns/);
    await expect(manager.start({ ...start, arms: [arms[0], { ...arms[1], name: "control" }] as typeof arms })).rejects.toThrow("arms[1].name: control names another arm too");
    await expect(manager.start({ ...start, prompt: "nope" })).rejects.toThrow('prompt: there is no prompt "nope"');
  });

  it("promotes a canary that is within every bound, when asked: activates it, ends the experiment and audits it", async () => {
    const { manager, experiments, audit, activations } = fakes([...outcomes("control", 60, () => true), ...outcomes("canary", 60, () => true)]);
    const row = await manager.start({ ...start, canary: { autoPromote: true, minRuns: 50, successRate: { maxDrop: 0.2 }, p95Latency: null, costPerRun: null } });
    await manager.checkCanaries();
    expect(experiments.get(row.experimentId)).toMatchObject({ status: "promoted", endedBy: "canary-check" });
    expect(activations.map((a) => [a.name, a.version, a.activatedBy])).toEqual([["checkout", "canary", "canary-check"]]);
    expect(audit.map((entry) => entry.action)).toEqual(["experiment_started", "experiment_ended"]);
    expect(audit[1]?.detail).toMatchObject({ status: "promoted", experiment_id: row.experimentId });
  });

  it("rolls back a failing canary once, even when another replica ends it first", async () => {
    const failing = [...outcomes("control", 60, () => true), ...outcomes("canary", 60, (i) => i % 2 === 0)];
    const mine = fakes(failing);
    const row = await mine.manager.start({ ...start, canary: { minRuns: 50 } });
    await mine.manager.checkCanaries();
    expect(mine.experiments.get(row.experimentId)?.status).toBe("rolled_back");
    expect(mine.experiments.get(row.experimentId)?.endReason).toMatch(/^Roll back at look 1 of 20/);
    expect(mine.activations).toEqual([]);

    const theirs = fakes(failing);
    const other = await theirs.manager.start({ ...start, canary: { minRuns: 50 } });
    theirs.endElsewhere();
    await theirs.manager.checkCanaries();
    expect(theirs.experiments.get(other.experimentId)?.status).toBe("running");
    expect(theirs.audit.map((entry) => entry.action)).toEqual(["experiment_started"]);
  });
});
