import { describe, expect, it } from "vitest";
import {
  evaluateCanary,
  fiellerRatioBounds,
  initialCanaryState,
  isCanaryOptionsError,
  lookAtRuns,
  orderStatisticRank,
  resolveCanaryOptions,
  rollbackWithinRuns,
  type CanaryEvaluation,
  type CanaryOptions,
  type CanaryState,
  type ResolvedCanaryOptions,
} from "./canary-check.js";
import { createArmAccumulator, studentTCdf, type RunOutcome } from "./experiment-statistics.js";

/** mulberry32: a small seeded PRNG, so that every simulation is the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * How an arm behaves in a simulation. Latency is a shifted exponential (300 ms plus a mean of
 * 500 ms: skewed, like real latencies), tokens uniform from 750 to 2,250 at $2 per million, and
 * 30% of runs get a score of 1 to 5.
 */
interface ArmBehaviour {
  readonly successRate: number;
  /** Multiplies the latency. */
  readonly slowdown: number;
  /** Multiplies the tokens, hence the cost. */
  readonly costliness: number;
  /** Added to every feedback score. */
  readonly feedbackShift: number;
}

const healthy: ArmBehaviour = { successRate: 0.9, slowdown: 1, costliness: 1, feedbackShift: 0 };
/** P(score ≤ 1), … P(score ≤ 4): scores 1 to 5 with shares 5%, 10%, 20%, 35% and 30%. */
const feedbackThresholds = [0.05, 0.15, 0.35, 0.7];

function simulatedRun(random: () => number, behaviour: ArmBehaviour): RunOutcome {
  const succeeded = random() < behaviour.successRate;
  const latencyMs = behaviour.slowdown * (300 - 500 * Math.log(1 - random()));
  const tokens = Math.round(behaviour.costliness * (750 + 1500 * random()));
  const costUsd = tokens * 2e-6;
  if (random() >= 0.3) return { succeeded, latencyMs, tokens, costUsd };
  const draw = random();
  let score = 1;
  while (score < 5 && draw >= (feedbackThresholds[score - 1] as number)) score++;
  return { succeeded, latencyMs, tokens, costUsd, feedback: score + behaviour.feedbackShift };
}

interface SimulatedCanary {
  readonly decision: CanaryEvaluation["decision"];
  readonly canaryRuns: number;
  readonly firedRule?: string;
}

/**
 * Runs `count` canaries to a decision or to the last look, checking after every canary run as the
 * server does, with `controlPerCanary` control runs for each canary run. The runs go into
 * accumulators, as a server's check can keep them.
 */
function simulateCanaries(options: {
  readonly seed: number;
  readonly count: number;
  readonly rules: ResolvedCanaryOptions;
  readonly control: ArmBehaviour;
  readonly canary: ArmBehaviour;
  readonly controlPerCanary?: number;
}): SimulatedCanary[] {
  const random = mulberry32(options.seed);
  const maxRuns = lookAtRuns(options.rules, options.rules.maxLooks);
  return Array.from({ length: options.count }, () => {
    const control = createArmAccumulator();
    const canary = createArmAccumulator();
    let state: CanaryState = initialCanaryState;
    while (canary.runs < maxRuns) {
      canary.add(simulatedRun(random, options.canary));
      for (let i = 0; i < (options.controlPerCanary ?? 1); i++) control.add(simulatedRun(random, options.control));
      const result = evaluateCanary(control, canary, options.rules, state);
      state = result.state;
      if (result.decision !== "continue") return { decision: result.decision, canaryRuns: canary.runs, firedRule: result.firedRule };
    }
    return { decision: "continue", canaryRuns: canary.runs };
  });
}

function share(canaries: readonly SimulatedCanary[], decision: SimulatedCanary["decision"]): number {
  return canaries.filter((canary) => canary.decision === decision).length / canaries.length;
}

/** The `q` quantile (nearest rank) of the canary runs at which `decision` was taken. */
function runsQuantile(canaries: readonly SimulatedCanary[], decision: SimulatedCanary["decision"], q: number): number {
  const runs = canaries.filter((canary) => canary.decision === decision).map((canary) => canary.canaryRuns).sort((a, b) => a - b);
  return runs[Math.max(0, Math.ceil(q * runs.length) - 1)] as number;
}

/** `count` runs, the first `successes` of them successful, with the given latencies, cost and feedback. */
function runs(count: number, successes: number, latencyMs: (index: number) => number, costUsd = 0.003, feedback?: number): RunOutcome[] {
  return Array.from({ length: count }, (_, index) => ({
    succeeded: index < successes,
    latencyMs: latencyMs(index),
    tokens: 1000,
    costUsd,
    ...(feedback === undefined ? {} : { feedback }),
  }));
}

/** Every rule on, at its strictest bound: "worse" means worse at all. The hardest case for false rollbacks. */
const strictest: CanaryOptions = { successRate: { maxDrop: 0 }, feedback: { maxDrop: 0 }, p95Latency: { maxRatio: 1 }, costPerRun: { maxRatio: 1 } };

describe("resolveCanaryOptions", () => {
  it("applies the defaults: success rate, p95 latency and cost per run, 20 looks every 50 runs from 50", () => {
    const rules = resolveCanaryOptions();
    expect(rules.rules).toEqual([
      { name: "success_rate", limit: -0.05 },
      { name: "p95_latency", limit: 1.5 },
      { name: "cost_per_run", limit: 1.5 },
    ]);
    expect(rules).toMatchObject({ autoPromote: false, alpha: 0.05, minRuns: 50, lookEveryRuns: 50, maxLooks: 20, minFeedback: 10 });
    expect(rules.rollbackAlpha).toBeCloseTo(0.05 / 60, 15);
    expect(rules.promotionAlpha).toBeCloseTo(0.05 / 20, 15);
    expect([1, 2, 20].map((look) => lookAtRuns(rules, look))).toEqual([50, 100, 1000]);
  });

  it.each([
    { case: "no rule", rules: { successRate: null, p95Latency: null, costPerRun: null }, field: "rules" },
    { case: "a drop of 1", rules: { successRate: { maxDrop: 1 } }, field: "successRate.maxDrop" },
    { case: "a negative feedback drop", rules: { feedback: { maxDrop: -0.1 } }, field: "feedback.maxDrop" },
    { case: "a ratio below 1", rules: { p95Latency: { maxRatio: 0.9 } }, field: "p95Latency.maxRatio" },
    { case: "an infinite ratio", rules: { costPerRun: { maxRatio: Infinity } }, field: "costPerRun.maxRatio" },
    { case: "α of 0", rules: { alpha: 0 }, field: "alpha" },
    { case: "a fractional number of looks", rules: { maxLooks: 2.5 }, field: "maxLooks" },
    { case: "a minimum sample of 5", rules: { minRuns: 5 }, field: "minRuns" },
  ])("refuses $case, naming $field", ({ rules, field }) => {
    let caught: unknown;
    try {
      resolveCanaryOptions(rules);
    } catch (err) {
      caught = err;
    }
    expect(isCanaryOptionsError(caught)).toBe(true);
    expect(caught).toMatchObject({ field });
  });
});

describe("evaluateCanary's look schedule", () => {
  const rules = resolveCanaryOptions({ successRate: { maxDrop: 0.05 }, p95Latency: null, costPerRun: null, maxLooks: 3 });
  const good = (count: number) => runs(count, Math.round(count * 0.9), () => 100);

  it("takes no look before the minimum sample", () => {
    const result = evaluateCanary(good(200), good(49), rules);
    expect(result).toMatchObject({ decision: "continue", state: { looksTaken: 0 }, numbers: { lookTaken: false, nextLookAtRuns: 50, checks: [] } });
    expect(result.statement).toBe("Continue: the next look is at 50 canary runs (now 49).");
  });

  it("takes each scheduled look once, however often it is called", () => {
    const first = evaluateCanary(good(200), good(50), rules);
    expect(first).toMatchObject({ decision: "continue", state: { looksTaken: 1 }, numbers: { look: 1, lookTaken: true, nextLookAtRuns: 100 } });
    for (const count of [50, 60, 99]) {
      expect(evaluateCanary(good(200), good(count), rules, first.state).numbers.lookTaken).toBe(false);
    }
    expect(evaluateCanary(good(200), good(100), rules, first.state).numbers).toMatchObject({ look: 2, lookTaken: true });
  });

  it("forfeits the looks it passed over, so no look is ever taken twice", () => {
    const late = evaluateCanary(good(200), good(120), rules);
    expect(late).toMatchObject({ state: { looksTaken: 2 }, numbers: { look: 2, lookTaken: true, nextLookAtRuns: 150 } });
  });

  it("waits for the control to reach the minimum sample", () => {
    const result = evaluateCanary(good(20), good(50), rules);
    expect(result).toMatchObject({ decision: "continue", state: { looksTaken: 0 }, numbers: { lookTaken: false } });
    expect(result.statement).toContain("waits for the control to reach 50 runs (now 20)");
  });

  it("leaves the decision to an operator once every look is spent", () => {
    const result = evaluateCanary(good(200), good(500), rules, { looksTaken: 3 });
    expect(result).toMatchObject({ decision: "continue", numbers: { lookTaken: false } });
    expect(result.numbers.nextLookAtRuns).toBeUndefined();
    expect(result.statement).toContain("all 3 looks are spent");
  });
});

describe("evaluateCanary's rules", () => {
  const latency = (index: number) => 100 + (index % 100);

  it("rolls back a clear success-rate regression and states the numbers and the test", () => {
    const rules = resolveCanaryOptions();
    const result = evaluateCanary(runs(300, 270, latency), runs(100, 50, latency), rules, { looksTaken: 1 });
    expect(result).toMatchObject({ decision: "rollback", firedRule: "success_rate", state: { looksTaken: 2 } });
    const check = result.numbers.checks.find((candidate) => candidate.rule === "success_rate");
    expect(check).toMatchObject({ control: 0.9, canary: 0.5, limit: -0.05, worse: true, withinBound: false, test: "Newcombe hybrid score interval" });
    expect(check?.effect).toBeCloseTo(-0.4, 12);
    expect(check?.optimistic).toBeLessThan(-0.05);
    expect(result.statement).toMatch(/^Roll back at look 2 of 20 \(100 canary runs, 300 control runs\): success rate 0\.5 vs 0\.9 \(−0\.4, at best −0\.\d+/);
    expect(result.statement).toContain("one-sided at α = 0.05 / (3 rules × 20 looks) = 0.000833 per look, Bonferroni");
  });

  it.each([
    { rule: "p95_latency", canary: runs(200, 180, (index) => 3 * latency(index)), control: runs(400, 360, latency) },
    { rule: "cost_per_run", canary: runs(200, 180, latency, 0.01), control: runs(400, 360, latency, 0.003) },
    { rule: "feedback", canary: runs(200, 180, latency, 0.003, 2), control: runs(400, 360, latency, 0.003, 4) },
  ])("rolls back when $rule is far worse than the control", ({ rule, canary, control }) => {
    const rules = resolveCanaryOptions({ feedback: { maxDrop: 0.5 } });
    const result = evaluateCanary(control, canary, rules);
    expect(result).toMatchObject({ decision: "rollback", firedRule: rule });
  });

  it("promotes a canary shown within every bound only when the experiment asks for it", () => {
    const control = runs(1000, 900, latency);
    const canary = runs(1000, 900, latency);
    const asked = evaluateCanary(control, canary, resolveCanaryOptions({ autoPromote: true }), { looksTaken: 19 });
    expect(asked.decision).toBe("promote");
    expect(asked.numbers.checks.every((check) => check.withinBound)).toBe(true);
    expect(asked.statement).toContain("intersection–union test");
    const notAsked = evaluateCanary(control, canary, resolveCanaryOptions(), { looksTaken: 19 });
    expect(notAsked.decision).toBe("continue");
  });

  it("does not promote before every rule is shown within its bound", () => {
    // 100 runs cannot show a success rate within 0.05 of the control's at α = 0.0025.
    const result = evaluateCanary(runs(100, 90, latency), runs(100, 90, latency), resolveCanaryOptions({ autoPromote: true }), { looksTaken: 1 });
    expect(result.decision).toBe("continue");
    expect(result.statement).toContain("Not yet shown within the bound");
  });

  it("does not test feedback before each arm has the minimum of scores", () => {
    const result = evaluateCanary(runs(300, 270, latency, 0.003), runs(60, 54, latency, 0.003), resolveCanaryOptions({ feedback: { maxDrop: 0.5 } }));
    expect(result.numbers.checks.find((check) => check.rule === "feedback")).toMatchObject({ enoughData: false, worse: false, withinBound: false });
  });

  it("decides the same on an accumulator as on the list of runs", () => {
    const control = runs(400, 360, latency, 0.003, 4);
    const canary = runs(200, 150, (index) => 2 * latency(index), 0.004, 3);
    const [controlAccumulator, canaryAccumulator] = [createArmAccumulator(), createArmAccumulator()];
    for (const outcome of control) controlAccumulator.add(outcome);
    for (const outcome of canary) canaryAccumulator.add(outcome);
    const rules = resolveCanaryOptions({ feedback: { maxDrop: 0.5 } });
    const fromLists = evaluateCanary(control, canary, rules);
    const fromAccumulators = evaluateCanary(controlAccumulator, canaryAccumulator, rules);
    expect(fromAccumulators.numbers).toEqual(fromLists.numbers);
    expect(fromAccumulators.statement).toBe(fromLists.statement);
  });

  it("treats a free canary beside a free control as not worse in cost", () => {
    const result = evaluateCanary(runs(1000, 900, latency, 0), runs(1000, 900, latency, 0), resolveCanaryOptions({ autoPromote: true }), { looksTaken: 19 });
    expect(result.numbers.checks.find((check) => check.rule === "cost_per_run")).toMatchObject({ effect: 1, worse: false, withinBound: true });
  });
});

describe("the bounds behind the rules", () => {
  it.each([
    { n: 100, alpha: 0.05, lower: 91, upper: 99 },
    { n: 1000, alpha: 0.000417, lower: 926, upper: 972 },
    { n: 60, alpha: 0.05, lower: 54, upper: 60 },
    { n: 50, alpha: 0.01, lower: 43, upper: undefined },
  ])("ranks the order statistics of the 95th percentile for n = $n at α = $alpha as SciPy's binomial does", ({ n, alpha, lower, upper }) => {
    // max r with binom.cdf(r − 1, n, 0.95) ≤ α; min s with binom.cdf(s − 1, n, 0.95) ≥ 1 − α.
    expect(orderStatisticRank(n, "lower", alpha)).toBe(lower);
    expect(orderStatisticRank(n, "upper", alpha)).toBe(upper);
  });

  it("bounds a ratio of mean costs exactly where the Welch test at the bound rejects", () => {
    const canary = { mean: 0.0036, variance: 0.0000012, count: 200 };
    const control = { mean: 0.003, variance: 0.000001, count: 400 };
    const alpha = 0.001;
    for (const limit of [1, 1.05, 1.1, 1.2, 1.3]) {
      const shares = [canary.variance / canary.count, (limit * limit * control.variance) / control.count] as const;
      const df = (shares[0] + shares[1]) ** 2 / (shares[0] ** 2 / (canary.count - 1) + shares[1] ** 2 / (control.count - 1));
      const t = (canary.mean - limit * control.mean) / Math.sqrt(shares[0] + shares[1]);
      const rejects = 1 - studentTCdf(t, df) < alpha;
      expect(fiellerRatioBounds(canary, control, limit, alpha).lower > limit).toBe(rejects);
    }
  });

  it("computes the run count by which a regression is rolled back with 99% probability", () => {
    const rules = resolveCanaryOptions();
    expect(rollbackWithinRuns(rules, { controlSuccessRate: 0.9, canarySuccessRate: 0.5 })).toBe(100);
    expect(rollbackWithinRuns(rules, { controlSuccessRate: 0.9, canarySuccessRate: 0.5, controlRunsPerCanaryRun: 9 })).toBe(50);
    expect(rollbackWithinRuns(rules, { controlSuccessRate: 0.9, canarySuccessRate: 0.88 })).toBe(Infinity);
  });
});

describe("simulated canaries, checked after every canary run up to the maximum sample", () => {
  it("rolls back fewer than 5% of 1,000 canaries that do not differ from the control, at the strictest bounds", () => {
    const rules = resolveCanaryOptions(strictest);
    const canaries = simulateCanaries({ seed: 1, count: 1000, rules, control: healthy, canary: healthy });
    expect(share(canaries, "rollback")).toBeLessThan(0.05);
  });

  it.each([
    { split: "50/50", controlPerCanary: 1, seed: 2 },
    { split: "a 10% canary", controlPerCanary: 9, seed: 3 },
  ])("rolls back 99% of 1,000 canaries that fail half their runs ($split) within rollbackWithinRuns", ({ controlPerCanary, seed }) => {
    const rules = resolveCanaryOptions();
    const bound = rollbackWithinRuns(rules, { controlSuccessRate: 0.9, canarySuccessRate: 0.5, controlRunsPerCanaryRun: controlPerCanary });
    const canaries = simulateCanaries({ seed, count: 1000, rules, control: healthy, canary: { ...healthy, successRate: 0.5 }, controlPerCanary });
    expect(share(canaries, "rollback")).toBeGreaterThanOrEqual(0.99);
    expect(canaries.filter((canary) => canary.decision === "rollback").every((canary) => canary.firedRule === "success_rate")).toBe(true);
    expect(canaries.filter((canary) => canary.decision === "rollback" && canary.canaryRuns <= bound).length).toBeGreaterThanOrEqual(990);
    expect(runsQuantile(canaries, "rollback", 0.99)).toBeLessThanOrEqual(bound);
  });

  it("promotes most canaries equal to the control, and at most 5% of those worse by exactly the bound", () => {
    const rules = resolveCanaryOptions({ autoPromote: true });
    const equal = simulateCanaries({ seed: 4, count: 200, rules, control: healthy, canary: healthy });
    expect(share(equal, "promote")).toBeGreaterThan(0.8);
    expect(share(equal, "rollback")).toBe(0);
    // 0.85 against 0.9 is the edge of both guarantees: neither promoted nor rolled back more than α.
    const atTheBound = simulateCanaries({ seed: 5, count: 200, rules, control: healthy, canary: { ...healthy, successRate: 0.85 } });
    expect(share(atTheBound, "promote")).toBeLessThanOrEqual(0.05);
    expect(share(atTheBound, "rollback")).toBeLessThanOrEqual(0.05);
  });
});
