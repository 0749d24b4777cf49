import { describe, expect, it } from "vitest";
import { assignArm, assignmentPoint, ExperimentArmsError, isExperimentArmsError, validateArms, type WeightedArm } from "./experiment-arms.js";

const principals = Array.from({ length: 10_000 }, (_, index) => `user-${index}@example.com`);

function countArms(experimentId: string, arms: readonly WeightedArm[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const principal of principals) {
    const version = assignArm(experimentId, principal, arms);
    counts.set(version, (counts.get(version) ?? 0) + 1);
  }
  return counts;
}

describe("assignArm", () => {
  const halves = [
    { version: "a", weight: 1 },
    { version: "b", weight: 1 },
  ];

  it("gives a principal the same arm every time, whatever array holds the arms", () => {
    for (const principal of principals.slice(0, 200)) {
      const first = assignArm("exp-1", principal, halves);
      expect(assignArm("exp-1", principal, halves.map((arm) => ({ ...arm })))).toBe(first);
      expect(assignArm("exp-1", principal, halves)).toBe(first);
    }
  });

  it("keeps the assignments it made before (the hash scheme is a stored contract)", () => {
    // Pinned from SHA-256("exp-ü\0alice@example.com"); PostgreSQL computes the same point (see the module comment).
    expect(assignmentPoint("exp-ü", "alice@example.com")).toBeCloseTo(0.770102868148296, 15);
    expect(assignArm("exp-ü", "alice@example.com", halves)).toBe("b");
  });

  it.each([
    { split: "50/50", arms: halves, share: 0.5 },
    { split: "90/10", arms: [{ version: "a", weight: 90 }, { version: "b", weight: 10 }], share: 0.9 },
    { split: "0.9/0.1 as decimals", arms: [{ version: "a", weight: 0.9 }, { version: "b", weight: 0.1 }], share: 0.9 },
  ])("splits 10,000 principals $split within 4 binomial standard deviations", ({ arms, share }) => {
    const counts = countArms("exp-split", arms);
    const sigma = Math.sqrt(principals.length * share * (1 - share));
    expect(Math.abs((counts.get("a") ?? 0) - principals.length * share)).toBeLessThan(4 * sigma);
    expect((counts.get("a") ?? 0) + (counts.get("b") ?? 0)).toBe(principals.length);
  });

  it("splits three arms 50/30/20 within 4 binomial standard deviations each", () => {
    const arms = [
      { version: "a", weight: 5 },
      { version: "b", weight: 3 },
      { version: "c", weight: 2 },
    ];
    const counts = countArms("exp-three", arms);
    for (const arm of arms) {
      const share = arm.weight / 10;
      expect(Math.abs((counts.get(arm.version) ?? 0) - principals.length * share)).toBeLessThan(4 * Math.sqrt(principals.length * share * (1 - share)));
    }
  });

  it("assigns the same arms for weights with the same ratios", () => {
    const percent = [
      { version: "a", weight: 50 },
      { version: "b", weight: 50 },
    ];
    for (const principal of principals.slice(0, 500)) {
      expect(assignArm("exp-1", principal, percent)).toBe(assignArm("exp-1", principal, halves));
    }
  });

  it("reshuffles when the experiment id changes: about half the principals change arm at 50/50", () => {
    const moved = principals.filter((principal) => assignArm("exp-1", principal, halves) !== assignArm("exp-2", principal, halves)).length;
    // Independent points: each principal moves with probability ½.
    expect(Math.abs(moved - principals.length / 2)).toBeLessThan(4 * Math.sqrt(principals.length / 4));
  });

  it("moves principals only into the canary when its weight grows", () => {
    const before = [
      { version: "control", weight: 95 },
      { version: "canary", weight: 5 },
    ];
    const after = [
      { version: "control", weight: 80 },
      { version: "canary", weight: 20 },
    ];
    for (const principal of principals) {
      if (assignArm("exp-ramp", principal, before) === "canary") expect(assignArm("exp-ramp", principal, after)).toBe("canary");
    }
  });

  it("refuses arms that validateArms refuses", () => {
    expect(() => assignArm("exp-1", "alice", [{ version: "a", weight: 1 }])).toThrow(ExperimentArmsError);
  });

  it("refuses an experiment id with NUL, which would make the hashed bytes ambiguous", () => {
    expect(() => assignArm("exp\u0000x", "alice", halves)).toThrow(expect.objectContaining({ field: "experimentId" }));
  });
});

describe("validateArms", () => {
  it("accepts two or more distinct versions with positive weights", () => {
    expect(() => validateArms([{ version: "a", weight: 0.25 }, { version: "b", weight: 3 }, { version: "c", weight: 1e-6 }])).not.toThrow();
  });

  it.each([
    { case: "no arm", arms: [], field: "arms" },
    { case: "one arm", arms: [{ version: "a", weight: 1 }], field: "arms" },
    { case: "an empty version", arms: [{ version: "a", weight: 1 }, { version: "", weight: 1 }], field: "arms[1].version" },
    { case: "a repeated version", arms: [{ version: "a", weight: 1 }, { version: "b", weight: 1 }, { version: "a", weight: 2 }], field: "arms[2].version" },
    { case: "a zero weight", arms: [{ version: "a", weight: 0 }, { version: "b", weight: 1 }], field: "arms[0].weight" },
    { case: "a negative weight", arms: [{ version: "a", weight: 1 }, { version: "b", weight: -1 }], field: "arms[1].weight" },
    { case: "an infinite weight", arms: [{ version: "a", weight: Infinity }, { version: "b", weight: 1 }], field: "arms[0].weight" },
    { case: "a NaN weight", arms: [{ version: "a", weight: 1 }, { version: "b", weight: Number.NaN }], field: "arms[1].weight" },
  ])("refuses $case, naming $field", ({ arms, field }) => {
    let caught: unknown;
    try {
      validateArms(arms);
    } catch (err) {
      caught = err;
    }
    expect(isExperimentArmsError(caught)).toBe(true);
    expect(caught).toMatchObject({ field, problem: expect.any(String) });
    expect((caught as ExperimentArmsError).message).toBe(`${field}: ${(caught as ExperimentArmsError).problem}`);
  });
});
