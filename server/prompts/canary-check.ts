import { createErrorBrand } from "../errors/error-brand.js";
import {
  binomialCdf,
  logGamma,
  newcombeInterval,
  normalQuantile,
  studentTQuantile,
  summarizeArmSample,
  type ArmAccumulator,
  type RunOutcome,
  type SampleMoments,
} from "./experiment-statistics.js";

/**
 * The decision of a guarded rollout: keep the canary running, roll it back
 * (the control stays active), or promote it. The server runs this check
 * again and again as runs arrive, so the error of looking repeatedly is
 * controlled by a **fixed look schedule with a Bonferroni split of α**
 * (not a sequential test: no statistic is carried from look to look).
 *
 * - Looks are at `minRuns`, `minRuns + lookEveryRuns`, … canary runs, at
 *   most `maxLooks` of them: by default at 50, 100, …, 1,000 canary runs
 *   (k = 50 runs between looks, 20 looks, a maximum sample of 1,000). The
 *   caller may call as often as it likes (the server calls after every
 *   canary run); a call takes a look only when the canary has reached the
 *   next scheduled run count, and the caller keeps the returned
 *   {@link CanaryState} (the looks spent) with the experiment. A look that
 *   was passed over is forfeited, never taken twice; a look also waits
 *   until the control has `minRuns` runs. After the last look nothing is
 *   decided automatically.
 * - Rollback: each of the R enabled rules is tested one-sided at
 *   α / (R · maxLooks) at each look; with the defaults (α = 0.05, three
 *   rules, 20 looks) that is 0.000833. By the union bound, a canary within
 *   every rule's bound is rolled back with probability at most α over all
 *   looks together, whatever the correlation between looks and rules.
 *   Bonferroni is conservative; it was chosen over alpha spending because
 *   it needs no recursive numerical integration and covers the latency
 *   rule, which is not a mean, in the same way.
 * - Promotion, only when the experiment asks for it (`autoPromote`): at a
 *   look, every enabled rule must show the canary not worse than its bound
 *   (non-inferiority), each one-sided at α / maxLooks (0.0025 by default).
 *   This is an intersection–union test, so no split across rules is
 *   needed: a canary worse than any bound is promoted with probability at
 *   most α over all looks. Rollback is checked first.
 *
 * The tests behind each rule ("worse" is beyond the bound; the defaults are
 * a success-rate drop of 0.05, p95 latency and cost per run 1.5 times the
 * control's, and no feedback rule, whose scale is the experiment's):
 * - success rate, canary − control < −maxDrop: Newcombe's hybrid score
 *   interval (method 10) of the difference, each side one-sided at its level;
 * - mean feedback, canary − control < −maxDrop: Welch's t interval, tested
 *   once each arm has `minFeedback` scores (10);
 * - p95 latency, canary ÷ control > maxRatio: distribution-free
 *   order-statistic bounds of each arm's 95th percentile (binomial ranks),
 *   each at half the level, combined by the union bound: rolls back when the
 *   canary's lower bound exceeds maxRatio × the control's upper bound. Exact
 *   for any latency distribution, ties included, and conservative: it is the
 *   slowest rule to fire;
 * - cost per run, canary ÷ control > maxRatio: Fieller's bounds of the ratio
 *   of mean costs, that is the Welch t-test of mean(canary) − maxRatio ·
 *   mean(control), with Welch–Satterthwaite degrees of freedom at the bound
 *   (approximate: it leans on the central limit theorem, hence `minRuns`).
 *
 * The simulations in `canary-check.test.ts` check both guarantees: with no
 * difference and every rule at its strictest bound, 1.4% of 1,000 canaries
 * are rolled back; a canary failing half its runs against a control at 90%
 * is rolled back within {@link rollbackWithinRuns}, 100 canary runs at a
 * 50/50 split and 50 for a 10% canary, 99% of the time.
 */

/** The stop rules a canary can break. */
export type CanaryRuleName = "success_rate" | "feedback" | "p95_latency" | "cost_per_run";

/** A guarded rollout's rules and look schedule. `null` turns a rule off. */
export interface CanaryOptions {
  /** Worse when the success rate is below the control's by more than `maxDrop` (0 to 1). Default `{ maxDrop: 0.05 }`. */
  readonly successRate?: { readonly maxDrop: number } | null;
  /** Worse when mean feedback is below the control's by more than `maxDrop`, on the experiment's scale. Default off. */
  readonly feedback?: { readonly maxDrop: number } | null;
  /** Worse when p95 latency is above `maxRatio` (at least 1) times the control's. Default `{ maxRatio: 1.5 }`. */
  readonly p95Latency?: { readonly maxRatio: number } | null;
  /** Worse when mean cost per run is above `maxRatio` (at least 1) times the control's. Default `{ maxRatio: 1.5 }`. */
  readonly costPerRun?: { readonly maxRatio: number } | null;
  /** Promote when every rule shows the canary within its bound. Default false. */
  readonly autoPromote?: boolean;
  /** Overall error over all looks, of rolling back a canary within its bounds and of promoting one beyond. Default 0.05. */
  readonly alpha?: number;
  /** Canary and control runs before the first look: the minimum sample, at least 10. Default 50. */
  readonly minRuns?: number;
  /** Canary runs between looks. Default 50. */
  readonly lookEveryRuns?: number;
  /** Looks planned; α is split across them. Default 20. */
  readonly maxLooks?: number;
  /** Feedback scores each arm needs before the feedback rule is tested, at least 2. Default 10. */
  readonly minFeedback?: number;
}

/** One enabled rule: the effect beyond `limit` is worse (below it for a drop, above it for a ratio). */
export interface CanaryRule {
  readonly name: CanaryRuleName;
  readonly limit: number;
}

/** {@link CanaryOptions} validated, with defaults applied and the per-look levels computed. */
export interface ResolvedCanaryOptions {
  readonly rules: readonly CanaryRule[];
  readonly autoPromote: boolean;
  readonly alpha: number;
  readonly minRuns: number;
  readonly lookEveryRuns: number;
  readonly maxLooks: number;
  readonly minFeedback: number;
  /** α / (rules · maxLooks): the one-sided level of each rollback test. */
  readonly rollbackAlpha: number;
  /** α / maxLooks: the one-sided level of each non-inferiority test. */
  readonly promotionAlpha: number;
}

const canaryOptionsBrand = createErrorBrand<CanaryOptionsError>("CanaryOptionsError");

/**
 * A canary's rules cannot be used; `field` names the setting, as `p95Latency.maxRatio`. Raised
 * by {@link resolveCanaryOptions} when an experiment is created (by an RPC, then INVALID_ARGUMENT).
 */
export class CanaryOptionsError extends Error {
  override readonly name = "CanaryOptionsError";
  constructor(
    /** The value at fault: `rules`, `alpha`, `maxLooks`, `successRate.maxDrop` and the like */
    readonly field: string,
    /** What is wrong, without the field (the message starts with it). */
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    canaryOptionsBrand.mark(this);
  }
}

/** True when `err` is a {@link CanaryOptionsError}, from any copy of this package. */
export const isCanaryOptionsError = canaryOptionsBrand.is;

/** Applies the defaults of {@link CanaryOptions} and validates them; throws a {@link CanaryOptionsError}. */
export function resolveCanaryOptions(input: CanaryOptions = {}): ResolvedCanaryOptions {
  const checked = (field: string, value: number, ok: boolean, allowed: string) => {
    if (!Number.isFinite(value) || !ok) throw new CanaryOptionsError(field, `must be ${allowed}, not ${value}`);
    return value;
  };
  const integer = (field: string, value: number, least: number) => checked(field, value, Number.isInteger(value) && value >= least, `an integer of at least ${least}`);
  const rules: CanaryRule[] = [];
  const successRate = input.successRate === undefined ? { maxDrop: 0.05 } : input.successRate;
  if (successRate) {
    const { maxDrop } = successRate;
    rules.push({ name: "success_rate", limit: -checked("successRate.maxDrop", maxDrop, maxDrop >= 0 && maxDrop < 1, "from 0 to below 1") });
  }
  if (input.feedback) {
    const { maxDrop } = input.feedback;
    rules.push({ name: "feedback", limit: -checked("feedback.maxDrop", maxDrop, maxDrop >= 0, "0 or more") });
  }
  for (const [field, name, setting] of [
    ["p95Latency", "p95_latency", input.p95Latency],
    ["costPerRun", "cost_per_run", input.costPerRun],
  ] as const) {
    const rule = setting === undefined ? { maxRatio: 1.5 } : setting;
    if (rule) rules.push({ name, limit: checked(`${field}.maxRatio`, rule.maxRatio, rule.maxRatio >= 1, "1 or more") });
  }
  if (rules.length === 0) throw new CanaryOptionsError("rules", "a canary needs at least one stop rule");
  const alpha = input.alpha ?? 0.05;
  checked("alpha", alpha, alpha > 0 && alpha < 0.5, "between 0 and 0.5");
  const maxLooks = integer("maxLooks", input.maxLooks ?? 20, 1);
  return Object.freeze({
    rules: Object.freeze(rules),
    autoPromote: input.autoPromote ?? false,
    alpha,
    minRuns: integer("minRuns", input.minRuns ?? 50, 10),
    lookEveryRuns: integer("lookEveryRuns", input.lookEveryRuns ?? 50, 1),
    maxLooks,
    minFeedback: integer("minFeedback", input.minFeedback ?? 10, 2),
    rollbackAlpha: alpha / (rules.length * maxLooks),
    promotionAlpha: alpha / maxLooks,
  });
}

/** The canary run count of look `look` (1-based). */
export function lookAtRuns(options: ResolvedCanaryOptions, look: number): number {
  return options.minRuns + (look - 1) * options.lookEveryRuns;
}

/** What the caller keeps between checks of one canary. */
export interface CanaryState {
  /** Looks spent: taken or passed over. */
  readonly looksTaken: number;
}

/** The state of a canary no check has looked at. */
export const initialCanaryState: CanaryState = Object.freeze({ looksTaken: 0 });

/** One rule at one look. Effects are canary − control for a drop rule, canary ÷ control for a ratio rule. */
export interface CanaryRuleCheck {
  readonly rule: CanaryRuleName;
  /** The test's name, for the audit. */
  readonly test: string;
  readonly control: number;
  readonly canary: number;
  readonly effect: number;
  /** The effect beyond which the canary is worse. */
  readonly limit: number;
  /** False when the arms lack the samples for this rule's bounds (feedback scores, latency ranks, a free control). */
  readonly enoughData: boolean;
  /** The effect's bound most favourable to the canary, at the rollback level. */
  readonly optimistic: number;
  /** The effect's bound least favourable to the canary, at the promotion level. */
  readonly pessimistic: number;
  /** Even the optimistic bound is beyond the limit: the rule fires. */
  readonly worse: boolean;
  /** Even the pessimistic bound is within the limit: not worse than the bound. */
  readonly withinBound: boolean;
}

/** The numbers behind a decision, for the audit. */
export interface CanaryNumbers {
  /** The look this check took, or the looks spent so far when it took none. */
  readonly look: number;
  readonly lookTaken: boolean;
  readonly maxLooks: number;
  readonly canaryRuns: number;
  readonly controlRuns: number;
  /** The canary run count of the next look; undefined once every look is spent. */
  readonly nextLookAtRuns?: number;
  readonly rollbackAlpha: number;
  readonly promotionAlpha: number;
  /** Every enabled rule, when a look was taken; empty otherwise. */
  readonly checks: readonly CanaryRuleCheck[];
}

/**
 * The runs of one arm since the canary started: a list, or an {@link ArmAccumulator} they were
 * added to as they finished (cheaper for a check that looks again and again).
 */
export type CanaryArmRuns = readonly RunOutcome[] | ArmAccumulator;

function runCount(arm: CanaryArmRuns): number {
  return "sample" in arm ? arm.runs : arm.length;
}

/** The outcome of one check. */
export interface CanaryEvaluation {
  readonly decision: "continue" | "rollback" | "promote";
  /** The first rule, in the order of {@link CanaryOptions}, that fired a rollback. */
  readonly firedRule?: CanaryRuleName;
  readonly numbers: CanaryNumbers;
  /** The state to keep for the next check. */
  readonly state: CanaryState;
  readonly statement: string;
}

/**
 * Checks a canary against the control on the runs of both since the canary started (concurrent
 * runs, so that time of day and load affect both alike). See the module comment for the tests.
 */
export function evaluateCanary(
  control: CanaryArmRuns,
  canary: CanaryArmRuns,
  options: ResolvedCanaryOptions,
  state: CanaryState = initialCanaryState,
): CanaryEvaluation {
  const counts: RunCounts = { canary: runCount(canary), control: runCount(control) };
  const scheduled = counts.canary < options.minRuns ? 0 : Math.min(options.maxLooks, Math.floor((counts.canary - options.minRuns) / options.lookEveryRuns) + 1);
  // The server calls after every run: the calls that take no look stay cheap.
  if (state.looksTaken >= options.maxLooks) {
    return waiting(counts, options, state, `Continue: all ${options.maxLooks} looks are spent without a rollback or promotion; the decision is an operator's.`);
  }
  if (scheduled <= state.looksTaken) {
    return waiting(counts, options, state, `Continue: the next look is at ${lookAtRuns(options, state.looksTaken + 1)} canary runs (now ${counts.canary}).`);
  }
  if (counts.control < options.minRuns) {
    return waiting(counts, options, state, `Continue: look ${scheduled} waits for the control to reach ${options.minRuns} runs (now ${counts.control}).`);
  }
  // The p95 rule's union bound: each arm's bound at half the level, the canary's lower bound
  // and the control's upper for a rollback, the other two for a promotion.
  const controlArm = checkedArm(control, options.promotionAlpha / 2, options.rollbackAlpha / 2);
  const canaryArm = checkedArm(canary, options.rollbackAlpha / 2, options.promotionAlpha / 2);
  return decide(counts, options, scheduled, options.rules.map((rule) => checkRule(rule, controlArm, canaryArm, options)));
}

/** The decision of look `look` from its checks: rollback first, then promotion. */
function decide(counts: RunCounts, options: ResolvedCanaryOptions, look: number, checks: readonly CanaryRuleCheck[]): CanaryEvaluation {
  const numbers = numbersOf(counts, options, look, checks);
  const state = { looksTaken: look };
  const where = `at look ${look} of ${options.maxLooks} (${counts.canary} canary runs, ${counts.control} control runs)`;
  const fired = checks.filter((check) => check.worse);
  if (fired.length > 0) {
    const levels = `α = ${options.alpha} / (${options.rules.length} rules × ${options.maxLooks} looks) = ${formatNumber(options.rollbackAlpha)}`;
    return {
      decision: "rollback",
      firedRule: fired[0]?.rule,
      numbers,
      state,
      statement: `Roll back ${where}: ${fired.map(describeCheck).join("; ")}: worse than the control beyond the bound (one-sided at ${levels} per look, Bonferroni).`,
    };
  }
  const levels = `one-sided at α = ${options.alpha} / ${options.maxLooks} looks = ${formatNumber(options.promotionAlpha)} per look`;
  if (options.autoPromote && checks.every((check) => check.withinBound)) {
    return {
      decision: "promote",
      numbers,
      state,
      statement: `Promote ${where}: not worse than the control beyond any bound: ${checks.map(describeCheck).join("; ")} (each ${levels}, intersection–union test).`,
    };
  }
  return {
    decision: "continue",
    numbers,
    state,
    // Built when read: most looks continue, and their statement is read only when logged.
    get statement() {
      const open = checks.filter((check) => !check.withinBound);
      const pending = options.autoPromote && open.length > 0 ? ` Not yet shown within the bound (${levels}): ${open.map((check) => check.rule).join(", ")}.` : "";
      return `Continue ${where}: no rule fired; ${checks.map(describeCheck).join("; ")}.${pending}`;
    },
  };
}

interface RunCounts {
  readonly canary: number;
  readonly control: number;
}

function numbersOf(counts: RunCounts, options: ResolvedCanaryOptions, look: number, checks: readonly CanaryRuleCheck[]): CanaryNumbers {
  return {
    look,
    lookTaken: checks.length > 0,
    maxLooks: options.maxLooks,
    canaryRuns: counts.canary,
    controlRuns: counts.control,
    nextLookAtRuns: look < options.maxLooks ? lookAtRuns(options, look + 1) : undefined,
    rollbackAlpha: options.rollbackAlpha,
    promotionAlpha: options.promotionAlpha,
    checks,
  };
}

const noChecks: readonly CanaryRuleCheck[] = Object.freeze([]);

/** A "continue" that took no look. */
function waiting(counts: RunCounts, options: ResolvedCanaryOptions, state: CanaryState, statement: string): CanaryEvaluation {
  return { decision: "continue", numbers: numbersOf(counts, options, state.looksTaken, noChecks), state, statement };
}

/** What one arm contributes to the checks, computed once per look. */
interface CheckedArm {
  readonly runs: number;
  readonly successes: number;
  readonly p95LatencyMs: number;
  /** One-sided bounds of the p95 latency at the levels the arm's side of the rule needs. */
  readonly p95Bounds: { readonly lower: number; readonly upper: number };
  readonly cost: SampleMoments;
  readonly feedback: SampleMoments;
}

/**
 * The arm's sample, with the latencies of the ranks of its p95 bounds, selected with its p95:
 * the lower bound at `lowerAlpha` and the upper at `upperAlpha` (see {@link orderStatisticRank}).
 */
function checkedArm(runs: CanaryArmRuns, lowerAlpha: number, upperAlpha: number): CheckedArm {
  const count = runCount(runs);
  const lowerRank = orderStatisticRank(count, "lower", lowerAlpha);
  const upperRank = orderStatisticRank(count, "upper", upperAlpha);
  const ranks = [lowerRank ?? 1, upperRank ?? count];
  const { summary, costVariance, latencyRanks } = "sample" in runs ? runs.sample(ranks) : summarizeArmSample(runs, ranks);
  return {
    runs: summary.runs,
    successes: summary.successes,
    p95LatencyMs: summary.p95LatencyMs,
    p95Bounds: { lower: lowerRank === undefined ? 0 : (latencyRanks[0] as number), upper: upperRank === undefined ? Infinity : (latencyRanks[1] as number) },
    cost: { mean: summary.costPerRunUsd, variance: costVariance, count: summary.runs },
    feedback: { mean: summary.meanFeedback, variance: summary.feedbackVariance, count: summary.feedbackCount },
  };
}

function checkRule(rule: CanaryRule, control: CheckedArm, canary: CheckedArm, options: ResolvedCanaryOptions): CanaryRuleCheck {
  switch (rule.name) {
    case "success_rate":
      return dropCheck(rule, checkSuccessRate(control, canary, options));
    case "feedback":
      return dropCheck(rule, checkFeedback(control, canary, options));
    case "p95_latency":
      return ratioCheck(rule, checkP95Latency(control, canary));
    case "cost_per_run":
      return checkCostPerRun(rule, control, canary, options);
  }
}

/** What a rule measured at a look, before it is held against its limit. */
type Measurement = Pick<CanaryRuleCheck, "test" | "control" | "canary" | "enoughData" | "optimistic" | "pessimistic">;

function checkSuccessRate(control: CheckedArm, canary: CheckedArm, options: ResolvedCanaryOptions): Measurement {
  const interval = (alpha: number) => newcombeInterval(canary.successes, canary.runs, control.successes, control.runs, -normalQuantile(alpha));
  return {
    test: "Newcombe hybrid score interval",
    control: control.successes / control.runs,
    canary: canary.successes / canary.runs,
    enoughData: true,
    optimistic: interval(options.rollbackAlpha).upper,
    pessimistic: interval(options.promotionAlpha).lower,
  };
}

function checkFeedback(control: CheckedArm, canary: CheckedArm, options: ResolvedCanaryOptions): Measurement {
  const [treated, base] = [canary.feedback, control.feedback];
  const measured = { test: "Welch's t interval", control: base.mean, canary: treated.mean };
  if (Math.min(treated.count, base.count) < options.minFeedback) return { ...measured, enoughData: false, optimistic: Number.NaN, pessimistic: Number.NaN };
  const difference = treated.mean - base.mean;
  const shares = [treated.variance / treated.count, base.variance / base.count] as const;
  const error = Math.sqrt(shares[0] + shares[1]);
  // Two constant samples: the difference is known exactly.
  if (error === 0) return { ...measured, enoughData: true, optimistic: difference, pessimistic: difference };
  const df = welchDegreesOfFreedom(shares, [treated.count, base.count]);
  return {
    ...measured,
    enoughData: true,
    optimistic: difference - studentTQuantile(options.rollbackAlpha, df) * error,
    pessimistic: difference + studentTQuantile(options.promotionAlpha, df) * error,
  };
}

function checkP95Latency(control: CheckedArm, canary: CheckedArm): Measurement {
  const optimistic = ratio(canary.p95Bounds.lower, control.p95Bounds.upper);
  const pessimistic = ratio(canary.p95Bounds.upper, control.p95Bounds.lower);
  return {
    test: "order-statistic bounds of the 95th percentile",
    control: control.p95LatencyMs,
    canary: canary.p95LatencyMs,
    // Each bound decides its own side; a small control may allow one and not the other.
    enoughData: optimistic > 0 || Number.isFinite(pessimistic),
    optimistic,
    pessimistic,
  };
}

function checkCostPerRun(rule: CanaryRule, control: CheckedArm, canary: CheckedArm, options: ResolvedCanaryOptions): CanaryRuleCheck {
  const measured = { test: "Fieller's bounds of the ratio of mean costs", control: control.cost.mean, canary: canary.cost.mean };
  if (control.cost.mean === 0 && control.cost.variance === 0) {
    // A free control has no ratio; a free canary beside it costs the same, which is not worse.
    const free = canary.cost.mean === 0 && canary.cost.variance === 0;
    return { ...ratioCheck(rule, { ...measured, enoughData: free, optimistic: 1, pessimistic: free ? 1 : Infinity }), withinBound: free };
  }
  const bounds = (alpha: number) => fiellerRatioBounds(canary.cost, control.cost, rule.limit, alpha);
  return ratioCheck(rule, { ...measured, enoughData: true, optimistic: bounds(options.rollbackAlpha).lower, pessimistic: bounds(options.promotionAlpha).upper });
}

/** A drop rule: the effect is canary − control, worse below the limit. */
function dropCheck(rule: CanaryRule, measured: Measurement): CanaryRuleCheck {
  const { enoughData, optimistic, pessimistic } = measured;
  return {
    rule: rule.name,
    ...measured,
    effect: measured.canary - measured.control,
    limit: rule.limit,
    worse: enoughData && optimistic < rule.limit,
    withinBound: enoughData && pessimistic > rule.limit,
  };
}

/** A ratio rule: the effect is canary ÷ control, worse above the limit. */
function ratioCheck(rule: CanaryRule, measured: Measurement): CanaryRuleCheck {
  const { enoughData, optimistic, pessimistic } = measured;
  return {
    rule: rule.name,
    ...measured,
    effect: ratio(measured.canary, measured.control),
    limit: rule.limit,
    worse: enoughData && optimistic > rule.limit,
    withinBound: enoughData && pessimistic < rule.limit,
  };
}

/** `a / b` where 0/0 is 1 (equal) and x/0 is infinite. */
function ratio(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : Infinity;
  return a / b;
}

function welchDegreesOfFreedom(shares: readonly [number, number], counts: readonly [number, number]): number {
  const numerator = (shares[0] + shares[1]) ** 2;
  const denominator = shares[0] ** 2 / (counts[0] - 1) + shares[1] ** 2 / (counts[1] - 1);
  return denominator === 0 ? Infinity : numerator / denominator;
}

/**
 * Ranks already found, by level, then by `n` and side: a memo of a pure function, so sharing it
 * across canaries hides no state. A rank costs a few incomplete beta functions, a check needs
 * four at every look (a third of a look's time without the memo), and the run counts recur: the
 * canary's are the look schedule. Bounded, so it cannot grow without limit.
 */
const rankMemo = new Map<number, Map<number, number | undefined>>();
const rankMemoLimit = 10_000;

/**
 * The rank of a one-sided bound of the 95th percentile ξ of `n` values, at level `alpha`, from
 * the order statistics; undefined when there is none. The lower bound is X₍ᵣ₎ for the largest
 * rank r with P(Binomial(n, 0.95) ≤ r − 1) ≤ α, so P(X₍ᵣ₎ > ξ) ≤ α; the upper is X₍ₛ₎ for the
 * smallest s with P(Binomial(n, 0.95) ≤ s − 1) ≥ 1 − α. Without such a rank the lower bound is
 * 0 (latencies are never negative) and the upper infinite. Valid for any distribution, ties
 * included: ties only make the bounds more conservative.
 */
export function orderStatisticRank(n: number, side: "lower" | "upper", alpha: number): number | undefined {
  let byCount = rankMemo.get(alpha);
  if (byCount === undefined) {
    if (rankMemo.size >= 100) rankMemo.clear();
    byCount = new Map();
    rankMemo.set(alpha, byCount);
  }
  const key = 2 * n + (side === "lower" ? 0 : 1);
  if (byCount.has(key)) return byCount.get(key);
  const rank = findRank(n, side, alpha, 0.95);
  if (byCount.size >= rankMemoLimit) byCount.clear();
  byCount.set(key, rank);
  return rank;
}

function findRank(n: number, side: "lower" | "upper", alpha: number, q: number): number | undefined {
  if (n === 0) return undefined;
  // Start from the normal approximation of the rank, then step to the exact one.
  const guess = Math.round(n * q + (side === "lower" ? 1 : -1) * normalQuantile(alpha) * Math.sqrt(n * q * (1 - q)));
  let rank = Math.min(n, Math.max(1, guess));
  if (side === "lower") {
    const fits = (r: number) => binomialCdf(r - 1, n, q) <= alpha;
    while (rank < n && fits(rank + 1)) rank++;
    while (rank >= 1 && !fits(rank)) rank--;
    return rank >= 1 ? rank : undefined;
  }
  const fits = (s: number) => binomialCdf(s - 1, n, q) >= 1 - alpha;
  while (rank > 1 && fits(rank - 1)) rank--;
  while (rank <= n && !fits(rank)) rank++;
  return rank <= n ? rank : undefined;
}

/**
 * Fieller's one-sided bounds, each at level `alpha`, of mean(canary) ÷ mean(control): the ratios ρ
 * that the Welch t-test of mean(canary) − ρ · mean(control) does not reject, with its degrees of
 * freedom taken at ρ = `limit`, so that "the lower bound exceeds the limit" is exactly that test
 * rejecting at the limit. Unbounded (0, ∞) when the control's mean is not clear of zero.
 */
export function fiellerRatioBounds(canary: SampleMoments, control: SampleMoments, limit: number, alpha: number): { readonly lower: number; readonly upper: number } {
  const canaryShare = canary.variance / canary.count;
  const controlShare = control.variance / control.count;
  const df = welchDegreesOfFreedom([canaryShare, limit * limit * controlShare], [canary.count, control.count]);
  const t = -studentTQuantile(alpha, df);
  const t2 = t * t;
  const a = control.mean ** 2 - t2 * controlShare;
  if (a <= 0) return { lower: 0, upper: Infinity };
  const discriminant = t2 * (controlShare * canary.mean ** 2 + canaryShare * control.mean ** 2 - t2 * canaryShare * controlShare);
  const root = Math.sqrt(Math.max(0, discriminant));
  return { lower: Math.max(0, (canary.mean * control.mean - root) / a), upper: (canary.mean * control.mean + root) / a };
}

const ruleLabels: Record<CanaryRuleName, string> = {
  success_rate: "success rate",
  feedback: "mean feedback",
  p95_latency: "p95 latency",
  cost_per_run: "cost per run",
};

function describeCheck(check: CanaryRuleCheck): string {
  const isRatio = check.rule === "p95_latency" || check.rule === "cost_per_run";
  const show = (value: number) => (isRatio ? `×${formatNumber(value)}` : formatSigned(value));
  const values = `${ruleLabels[check.rule]} ${formatNumber(check.canary)} vs ${formatNumber(check.control)}`;
  if (!check.enoughData) return `${values} (not enough data for ${check.test})`;
  return `${values} (${show(check.effect)}, at best ${show(check.optimistic)}, at worst ${show(check.pessimistic)}, bound ${show(check.limit)}; ${check.test})`;
}

/** Three significant digits, by arithmetic: `toPrecision` and a parse cost more than the rest of a look's statement. */
function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "∞" : value < 0 ? "−∞" : "NaN";
  if (value === 0) return "0";
  const digits = 2 - Math.floor(Math.log10(Math.abs(value)));
  if (digits <= 0) return String(Math.round(value / 10 ** -digits) * 10 ** -digits);
  return String(Math.round(value * 10 ** digits) / 10 ** digits);
}

function formatSigned(value: number): string {
  return value >= 0 ? `+${formatNumber(value)}` : `−${formatNumber(-value)}`;
}

/** What {@link rollbackWithinRuns} assumes about the two arms. */
export interface RegressionScenario {
  readonly controlSuccessRate: number;
  readonly canarySuccessRate: number;
  /** Control runs per canary run (9 for a 10% canary). Default 1. */
  readonly controlRunsPerCanaryRun?: number;
  /** The probability of a rollback to reach. Default 0.99. */
  readonly probability?: number;
}

/**
 * The canary run count of the first scheduled look at which the success-rate rule alone rolls back
 * a canary of `scenario` with at least `scenario.probability` (default 0.99); Infinity when no
 * planned look does. Exact: it sums the binomial probabilities of the outcomes on which the
 * rule fires at that look. Any other rule can only make the rollback earlier.
 */
export function rollbackWithinRuns(options: ResolvedCanaryOptions, scenario: RegressionScenario): number {
  const rule = options.rules.find((candidate) => candidate.name === "success_rate");
  if (!rule) throw new CanaryOptionsError("successRate", "rollbackWithinRuns needs the success-rate rule");
  const z = -normalQuantile(options.rollbackAlpha);
  for (let look = 1; look <= options.maxLooks; look++) {
    const canaryRuns = lookAtRuns(options, look);
    const controlRuns = Math.max(options.minRuns, Math.round(canaryRuns * (scenario.controlRunsPerCanaryRun ?? 1)));
    const canaryOutcomes = binomialMass(canaryRuns, scenario.canarySuccessRate);
    const controlOutcomes = binomialMass(controlRuns, scenario.controlSuccessRate);
    let probability = 0;
    for (const [canarySuccesses, canaryMass] of canaryOutcomes) {
      for (const [controlSuccesses, controlMass] of controlOutcomes) {
        if (newcombeInterval(canarySuccesses, canaryRuns, controlSuccesses, controlRuns, z).upper < rule.limit) probability += canaryMass * controlMass;
      }
    }
    if (probability >= (scenario.probability ?? 0.99)) return canaryRuns;
  }
  return Infinity;
}

/** The binomial probabilities within 9 standard deviations of the mean (the rest is below 1e-18). */
function binomialMass(n: number, p: number): (readonly [number, number])[] {
  const spread = 9 * Math.sqrt(n * p * (1 - p)) + 1;
  const mass: (readonly [number, number])[] = [];
  for (let k = Math.max(0, Math.floor(n * p - spread)); k <= Math.min(n, Math.ceil(n * p + spread)); k++) {
    const log = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + (k === 0 ? 0 : k * Math.log(p)) + (k === n ? 0 : (n - k) * Math.log1p(-p));
    mass.push([k, Math.exp(log)]);
  }
  return mass;
}
