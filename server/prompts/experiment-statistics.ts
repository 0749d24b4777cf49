/**
 * The statistics of a prompt experiment: what each arm did over a window
 * (runs, success rate, latency, tokens, cost, feedback) and whether a
 * treatment arm differs from the control, said in one plain sentence that
 * names the test, the confidence level and the minimum sample.
 *
 * What is computed:
 * - p95 latency: the linear-interpolation quantile of the latencies
 *   (Hyndman and Fan type 7, `h = (n − 1)·0.95`), the one PostgreSQL's
 *   `percentile_cont(0.95)` and NumPy's default compute, so a number read
 *   from the store by SQL agrees with this one.
 * - Success rate: a two-sided two-proportion z-test with the pooled rate,
 *   unless a cell of the 2×2 table expects fewer than 5 runs under that rate
 *   (an agent that almost never fails); then Fisher's exact test, two-sided
 *   (the tables no more likely than the one observed). The difference's
 *   interval is Newcombe's hybrid score interval (method 10, from Wilson
 *   intervals), which keeps its coverage near 0 and 1 where the Wald
 *   interval does not.
 * - Feedback: Welch's t-test, two-sided, with Welch–Satterthwaite degrees
 *   of freedom, and the t interval of the difference of means.
 * - Defaults: 95% confidence; at least 30 runs and 10 feedback scores in
 *   each arm, else the statement says "not enough data" and no test is run.
 *   The two metrics are tested separately, each at the level given (no
 *   correction across them).
 *
 * The distributions (normal, Student's t, binomial through the regularized
 * incomplete beta function) are written here rather than taken from a
 * package: no well-kept, typed, dependency-free one is in the tree, and
 * these few functions are tested against reference values. A comparison
 * here is for an experiment read once; a check that looks again and again
 * as runs arrive is `canary-check.ts`, which controls the error of
 * repeated looks.
 */

/** What one run of an arm did, as the run store records it. */
export interface RunOutcome {
  readonly succeeded: boolean;
  readonly latencyMs: number;
  readonly tokens: number;
  readonly costUsd: number;
  /** The caller's score of the run, when it gave one; the scale is the experiment's. */
  readonly feedback?: number;
}

/** What one arm did over a window. Means and rates are NaN when there is nothing to average. */
export interface ArmSummary {
  readonly runs: number;
  readonly successes: number;
  /** `successes / runs`. */
  readonly successRate: number;
  readonly meanLatencyMs: number;
  /** Type 7 (linear interpolation) quantile, as `percentile_cont(0.95)`. */
  readonly p95LatencyMs: number;
  /** Tokens of every run together. */
  readonly tokens: number;
  /** Cost of every run together. */
  readonly costUsd: number;
  /** `costUsd / runs`. */
  readonly costPerRunUsd: number;
  /** Runs with a finite feedback score. */
  readonly feedbackCount: number;
  readonly meanFeedback: number;
  /** Sample variance (n − 1) of the feedback scores; NaN below two scores. */
  readonly feedbackVariance: number;
}

/** Summarises the runs of one arm. */
export function summarizeArm(outcomes: readonly RunOutcome[]): ArmSummary {
  return summarizeArmSample(outcomes).summary;
}

/** An arm's summary, with what a check of its order statistics and cost spread needs besides. */
export interface ArmSample {
  readonly summary: ArmSummary;
  /** The latencies, in no particular order: a copy that {@link orderStatistics} may reorder. */
  readonly latencies: Float64Array;
  /** Sample variance (n − 1) of the cost of a run; NaN below two runs. */
  readonly costVariance: number;
  /** The latencies of the 1-based ranks asked for (each from 1 to `summary.runs`), in the order asked. */
  readonly latencyRanks: readonly number[];
}

/**
 * {@link summarizeArm} with the latencies, the cost variance and the latencies of `ranks`
 * (1-based), selected with the p95: a check that needs order statistics pays for one selection.
 */
export function summarizeArmSample(outcomes: readonly RunOutcome[], ranks: readonly number[] = []): ArmSample {
  const accumulator = createArmAccumulator(outcomes.length);
  for (const outcome of outcomes) accumulator.add(outcome);
  return accumulator.sample(ranks);
}

/**
 * The summary of an arm kept up to date as its runs arrive: each run is added once, and reading
 * the summary costs only the copy of the latencies and their p95, instead of a pass over every
 * run kept so far. For a check that looks again and again, like the canary check's.
 */
export interface ArmAccumulator {
  /** Runs added so far. */
  readonly runs: number;
  add(outcome: RunOutcome): void;
  /** The summary of the runs added so far, with the latencies of `ranks` (see {@link summarizeArmSample}). */
  sample(ranks?: readonly number[]): ArmSample;
}

/** Creates an empty {@link ArmAccumulator}; `expectedRuns` sizes its latency buffer (it grows as needed). */
export function createArmAccumulator(expectedRuns = 64): ArmAccumulator {
  return new RunningArm(expectedRuns);
}

/** Sums and Welford's updates (one pass, no cancellation when values are large and close). */
class RunningArm implements ArmAccumulator {
  runs = 0;
  private successes = 0;
  private latencySum = 0;
  private tokens = 0;
  private costUsd = 0;
  private costMean = 0;
  private costSquares = 0;
  private feedbackCount = 0;
  private feedbackMean = 0;
  private feedbackSquares = 0;
  private latencies: Float64Array;

  constructor(expectedRuns: number) {
    this.latencies = new Float64Array(Math.max(1, expectedRuns));
  }

  add(outcome: RunOutcome): void {
    if (this.runs === this.latencies.length) {
      const grown = new Float64Array(2 * this.latencies.length);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.runs] = outcome.latencyMs;
    this.runs += 1;
    if (outcome.succeeded) this.successes += 1;
    this.latencySum += outcome.latencyMs;
    this.tokens += outcome.tokens;
    this.costUsd += outcome.costUsd;
    const costDelta = outcome.costUsd - this.costMean;
    this.costMean += costDelta / this.runs;
    this.costSquares += costDelta * (outcome.costUsd - this.costMean);
    const feedback = outcome.feedback;
    if (feedback !== undefined && Number.isFinite(feedback)) {
      this.feedbackCount += 1;
      const delta = feedback - this.feedbackMean;
      this.feedbackMean += delta / this.feedbackCount;
      this.feedbackSquares += delta * (feedback - this.feedbackMean);
    }
  }

  sample(ranks: readonly number[] = []): ArmSample {
    const { runs, feedbackCount } = this;
    const latencies = this.latencies.slice(0, runs);
    const p95 = quantileRanks(runs, 0.95);
    const selected = runs === 0 ? [] : orderStatistics(latencies, [p95.below, p95.above, ...ranks]);
    const summary: ArmSummary = {
      runs,
      successes: this.successes,
      successRate: this.successes / runs,
      meanLatencyMs: this.latencySum / runs,
      p95LatencyMs: runs === 0 ? Number.NaN : interpolate(selected[0] as number, selected[1] as number, p95.fraction),
      tokens: this.tokens,
      costUsd: this.costUsd,
      costPerRunUsd: this.costUsd / runs,
      feedbackCount,
      meanFeedback: feedbackCount > 0 ? this.feedbackMean : Number.NaN,
      feedbackVariance: feedbackCount > 1 ? this.feedbackSquares / (feedbackCount - 1) : Number.NaN,
    };
    return { summary, latencies, costVariance: runs > 1 ? this.costSquares / (runs - 1) : Number.NaN, latencyRanks: selected.slice(2) };
  }
}

/**
 * The type 7 quantile `q` of `values`: linear between the order statistics around `(n − 1)·q`.
 * Reorders `values` (see {@link orderStatistics}); NaN when it is empty.
 */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return Number.NaN;
  const { below, above, fraction } = quantileRanks(values.length, q);
  const [low, high] = orderStatistics(values, [below, above]) as [number, number];
  return interpolate(low, high, fraction);
}

/** The 1-based ranks around the type 7 quantile `q` of `n` values, and how far between them it is. */
function quantileRanks(n: number, q: number): { readonly below: number; readonly above: number; readonly fraction: number } {
  const position = (n - 1) * q;
  const below = Math.floor(position);
  return { below: below + 1, above: Math.min(below + 2, n), fraction: position - below };
}

function interpolate(low: number, high: number, fraction: number): number {
  return low + (high - low) * fraction;
}

/**
 * The order statistics of the given 1-based ranks of `values`, by quickselect (Hoare's partition,
 * median-of-three pivot) instead of a sort: O(n) for the first rank, and each later one searches
 * only above the one before. A check needs a handful of ranks near the 95th percentile, and a
 * sort was most of its time. Reorders `values` in place.
 */
export function orderStatistics(values: Float64Array, ranks: readonly number[]): number[] {
  const ascending = ranks.map((_, index) => index).sort((a, b) => (ranks[a] as number) - (ranks[b] as number));
  const result = new Array<number>(ranks.length);
  let from = 0;
  for (const index of ascending) {
    const position = (ranks[index] as number) - 1;
    selectInPlace(values, position, from, values.length - 1);
    result[index] = values[position] as number;
    from = position;
  }
  return result;
}

/** Moves the k-th smallest value of `values[lo..hi]` to index k, smaller ones before it and larger after. */
function selectInPlace(values: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const [a, b, c] = [values[lo] as number, values[(lo + hi) >>> 1] as number, values[hi] as number];
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    // [lo..j] ≤ pivot ≤ [i..hi]; anything between equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** How {@link compareArms} decides. */
export interface ComparisonOptions {
  /** Confidence level of the tests and intervals. Default 0.95. */
  readonly confidence?: number;
  /** Runs each arm needs before its success rate is tested. Default 30. */
  readonly minRunsPerArm?: number;
  /** Feedback scores each arm needs before its feedback is tested. Default 10 (and never fewer than 2). */
  readonly minFeedbackPerArm?: number;
  /** What the statement calls the arms, e.g. their versions. Default "treatment" and "control". */
  readonly names?: { readonly treatment?: string; readonly control?: string };
}

/** {@link ComparisonOptions} with every default applied. */
export type ResolvedComparisonOptions = Required<Omit<ComparisonOptions, "names">> & {
  readonly names: { readonly treatment: string; readonly control: string };
};

/** Applies the defaults of {@link ComparisonOptions}. */
export function resolveComparisonOptions(options: ComparisonOptions = {}): ResolvedComparisonOptions {
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, not ${confidence}`);
  return {
    confidence,
    minRunsPerArm: Math.max(1, options.minRunsPerArm ?? 30),
    minFeedbackPerArm: Math.max(2, options.minFeedbackPerArm ?? 10),
    names: { treatment: options.names?.treatment ?? "treatment", control: options.names?.control ?? "control" },
  };
}

/** The tests {@link compareArms} may name. */
export type ComparisonTest = "two-proportion z-test" | "Fisher's exact test" | "Welch's t-test";

/** One metric of a treatment arm against the control. */
export interface MetricComparisonResult {
  readonly metric: "success_rate" | "feedback";
  readonly test: ComparisonTest;
  readonly treatment: number;
  readonly control: number;
  /** `treatment − control`. */
  readonly difference: number;
  /** The samples behind each side: runs, or feedback scores. */
  readonly treatmentSamples: number;
  readonly controlSamples: number;
  /** The minimum per arm the test needed. */
  readonly minimumPerArm: number;
  /** False when an arm has fewer samples than the minimum: no test, no interval. */
  readonly enoughData: boolean;
  /** Two-sided; undefined without enough data. */
  readonly pValue?: number;
  /** The difference's interval at the confidence level; undefined without enough data. */
  readonly interval?: { readonly lower: number; readonly upper: number };
  /** Welch–Satterthwaite degrees of freedom (feedback only). */
  readonly degreesOfFreedom?: number;
  /** True when `pValue < 1 − confidence`. */
  readonly significant: boolean;
  readonly statement: string;
}

/** A treatment arm against the control: both metrics and one statement. */
export interface ArmComparisonResult {
  readonly confidence: number;
  readonly successRate: MetricComparisonResult;
  readonly feedback: MetricComparisonResult;
  /** Both metrics' statements, success rate first. */
  readonly statement: string;
}

/** Compares `treatment` to `control` on success rate and feedback (see the module comment for the tests). */
export function compareArms(control: ArmSummary, treatment: ArmSummary, options: ComparisonOptions = {}): ArmComparisonResult {
  const resolved = resolveComparisonOptions(options);
  const successRate = compareSuccessRates(control, treatment, resolved);
  const feedback = compareFeedback(control, treatment, resolved);
  return { confidence: resolved.confidence, successRate, feedback, statement: `${successRate.statement} ${feedback.statement}` };
}

function compareSuccessRates(control: ArmSummary, treatment: ArmSummary, options: ResolvedComparisonOptions): MetricComparisonResult {
  const alpha = 1 - options.confidence;
  const pooled = (control.successes + treatment.successes) / (control.runs + treatment.runs);
  // Expected counts under the pooled rate: the z-test's normal approximation needs each to be 5 or more.
  const smallestExpected = Math.min(control.runs, treatment.runs) * Math.min(pooled, 1 - pooled);
  const test: ComparisonTest = smallestExpected >= 5 ? "two-proportion z-test" : "Fisher's exact test";
  const base = {
    metric: "success_rate" as const,
    test,
    treatment: treatment.successRate,
    control: control.successRate,
    difference: treatment.successRate - control.successRate,
    treatmentSamples: treatment.runs,
    controlSamples: control.runs,
    minimumPerArm: options.minRunsPerArm,
  };
  const label = `Success rate of ${options.names.treatment} vs ${options.names.control}`;
  if (Math.min(control.runs, treatment.runs) < options.minRunsPerArm) {
    return { ...base, enoughData: false, significant: false, statement: notEnoughData(label, base, "runs", options) };
  }
  const pValue =
    test === "two-proportion z-test"
      ? twoProportionZTest(treatment.successes, treatment.runs, control.successes, control.runs)
      : fisherExactTest(treatment.successes, treatment.runs - treatment.successes, control.successes, control.runs - control.successes);
  const interval = newcombeInterval(treatment.successes, treatment.runs, control.successes, control.runs, normalQuantile(1 - alpha / 2));
  const significant = pValue < alpha;
  const statement = testedStatement(label, { ...base, pValue, interval, significant }, `${test}, two-sided`, "runs", options);
  return { ...base, enoughData: true, pValue, interval, significant, statement };
}

function compareFeedback(control: ArmSummary, treatment: ArmSummary, options: ResolvedComparisonOptions): MetricComparisonResult {
  const alpha = 1 - options.confidence;
  const base = {
    metric: "feedback" as const,
    test: "Welch's t-test" as const,
    treatment: treatment.meanFeedback,
    control: control.meanFeedback,
    difference: treatment.meanFeedback - control.meanFeedback,
    treatmentSamples: treatment.feedbackCount,
    controlSamples: control.feedbackCount,
    minimumPerArm: options.minFeedbackPerArm,
  };
  const label = `Mean feedback of ${options.names.treatment} vs ${options.names.control}`;
  if (Math.min(control.feedbackCount, treatment.feedbackCount) < options.minFeedbackPerArm) {
    return { ...base, enoughData: false, significant: false, statement: notEnoughData(label, base, "scores", options) };
  }
  const welch = welchTTest(
    { mean: treatment.meanFeedback, variance: treatment.feedbackVariance, count: treatment.feedbackCount },
    { mean: control.meanFeedback, variance: control.feedbackVariance, count: control.feedbackCount },
  );
  const halfWidth = welch.standardError === 0 ? 0 : studentTQuantile(1 - alpha / 2, welch.degreesOfFreedom) * welch.standardError;
  const interval = { lower: base.difference - halfWidth, upper: base.difference + halfWidth };
  const significant = welch.pValue < alpha;
  const testName = `Welch's t-test, two-sided, ${formatNumber(welch.degreesOfFreedom, 1)} degrees of freedom`;
  const statement = testedStatement(label, { ...base, pValue: welch.pValue, interval, significant }, testName, "scores", options);
  return { ...base, enoughData: true, pValue: welch.pValue, interval, degreesOfFreedom: welch.degreesOfFreedom, significant, statement };
}

type StatementParts = Pick<MetricComparisonResult, "treatment" | "control" | "difference" | "treatmentSamples" | "controlSamples" | "minimumPerArm">;

function notEnoughData(label: string, parts: StatementParts, unit: string, options: ResolvedComparisonOptions): string {
  const level = formatPercent(options.confidence);
  return (
    `${label}: ${formatNumber(parts.treatment)} vs ${formatNumber(parts.control)}: not enough data ` +
    `(n = ${parts.treatmentSamples} and ${parts.controlSamples} ${unit}, minimum ${parts.minimumPerArm} per arm); not tested at ${level}.`
  );
}

function testedStatement(
  label: string,
  parts: StatementParts & Required<Pick<MetricComparisonResult, "pValue" | "interval" | "significant">>,
  testName: string,
  unit: string,
  options: ResolvedComparisonOptions,
): string {
  const level = formatPercent(options.confidence);
  const interval = `${level} CI ${formatSigned(parts.interval.lower)} to ${formatSigned(parts.interval.upper)}`;
  return (
    `${label}: ${formatNumber(parts.treatment)} vs ${formatNumber(parts.control)} (${formatSigned(parts.difference)}, ${interval}): ` +
    `${parts.significant ? "significant" : "not significant"} at ${level} (${testName}, p ${formatPValue(parts.pValue)}; ` +
    `n = ${parts.treatmentSamples} and ${parts.controlSamples} ${unit}, minimum ${parts.minimumPerArm} per arm).`
  );
}

/** Up to `digits` decimals, trailing zeros dropped. */
/** A number for a statement; an arm with nothing to average (NaN) reads "none". */
function formatNumber(value: number, digits = 3): string {
  return Number.isFinite(value) ? String(Number(value.toFixed(digits))) : Number.isNaN(value) ? "none" : String(value);
}

function formatSigned(value: number): string {
  return value >= 0 ? `+${formatNumber(value)}` : `−${formatNumber(-value)}`;
}

function formatPercent(level: number): string {
  return `${Number((level * 100).toPrecision(4))}%`;
}

/** "= 0.0312", or "< 0.001" below a thousandth. */
export function formatPValue(pValue: number): string {
  return pValue < 0.001 ? "< 0.001" : `= ${Number(pValue.toPrecision(3))}`;
}

// --- Tests -------------------------------------------------------------------------------------

/** Two-sided p-value of the pooled two-proportion z-test of `x1/n1` against `x2/n2`. */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): number {
  const pooled = (x1 + x2) / (n1 + n2);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // Both arms all successes or all failures: nothing differs.
  if (standardError === 0) return 1;
  const z = (x1 / n1 - x2 / n2) / standardError;
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/**
 * Two-sided p-value of Fisher's exact test of the 2×2 table `[[a, b], [c, d]]`: the sum of the
 * probabilities, under fixed margins, of the tables no more likely than the one observed.
 */
export function fisherExactTest(a: number, b: number, c: number, d: number): number {
  const row1 = a + b;
  const row2 = c + d;
  const column1 = a + c;
  const logDenominator = logChoose(row1 + row2, column1);
  const logProbability = (x: number) => logChoose(row1, x) + logChoose(row2, column1 - x) - logDenominator;
  const observed = logProbability(a);
  let pValue = 0;
  for (let x = Math.max(0, column1 - row2); x <= Math.min(row1, column1); x++) {
    const logP = logProbability(x);
    // A relative tolerance, so that tables as likely as the observed one count despite rounding.
    if (logP <= observed + 1e-7) pValue += Math.exp(logP);
  }
  return Math.min(1, pValue);
}

/** The mean, sample variance and count of one sample. */
export interface SampleMoments {
  readonly mean: number;
  readonly variance: number;
  readonly count: number;
}

/** Welch's t statistic of `first − second`, its degrees of freedom and two-sided p-value. */
export function welchTTest(
  first: SampleMoments,
  second: SampleMoments,
): { readonly t: number; readonly degreesOfFreedom: number; readonly standardError: number; readonly pValue: number } {
  const share1 = first.variance / first.count;
  const share2 = second.variance / second.count;
  const standardError = Math.sqrt(share1 + share2);
  const difference = first.mean - second.mean;
  if (standardError === 0) {
    // Two constant samples: they differ for certain, or not at all.
    const degreesOfFreedom = first.count + second.count - 2;
    return { t: difference === 0 ? 0 : Math.sign(difference) * Infinity, degreesOfFreedom, standardError, pValue: difference === 0 ? 1 : 0 };
  }
  const degreesOfFreedom = (share1 + share2) ** 2 / (share1 ** 2 / (first.count - 1) + share2 ** 2 / (second.count - 1));
  const t = difference / standardError;
  return { t, degreesOfFreedom, standardError, pValue: Math.min(1, 2 * studentTCdf(-Math.abs(t), degreesOfFreedom)) };
}

/** Wilson's score interval for `successes / runs` with the normal quantile `z`. */
export function wilsonInterval(successes: number, runs: number, z: number): { readonly lower: number; readonly upper: number } {
  const rate = successes / runs;
  const zz = (z * z) / runs;
  const centre = (rate + zz / 2) / (1 + zz);
  const halfWidth = (z / (1 + zz)) * Math.sqrt((rate * (1 - rate)) / runs + zz / (4 * runs));
  return { lower: Math.max(0, centre - halfWidth), upper: Math.min(1, centre + halfWidth) };
}

/**
 * Newcombe's hybrid score interval (1998, method 10) for `x1/n1 − x2/n2`, from the two Wilson
 * intervals at the normal quantile `z` (1.96 for a two-sided 95% interval; each bound alone is
 * then a one-sided 97.5% bound).
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, z: number): { readonly lower: number; readonly upper: number } {
  const rate1 = x1 / n1;
  const rate2 = x2 / n2;
  const wilson1 = wilsonInterval(x1, n1, z);
  const wilson2 = wilsonInterval(x2, n2, z);
  const difference = rate1 - rate2;
  return {
    lower: difference - Math.hypot(rate1 - wilson1.lower, wilson2.upper - rate2),
    upper: difference + Math.hypot(wilson1.upper - rate1, rate2 - wilson2.lower),
  };
}

// --- Distributions -----------------------------------------------------------------------------

const lanczosCoefficients = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0, by the Lanczos approximation (g = 7, nine terms; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = lanczosCoefficients[0] as number;
  for (let i = 1; i < lanczosCoefficients.length; i++) sum += (lanczosCoefficients[i] as number) / (shifted + i);
  const base = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(base) - base + Math.log(sum);
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz),
 * on the side of x where it converges fast.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

const tiny = 1e-300;

function betaContinuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let result = d;
  for (let m = 1; m <= 100_000; m++) {
    for (const numerator of [
      (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)),
      (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1)),
    ]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      result *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-16) break;
  }
  return result;
}

/** P(X ≤ k) for X binomial with `n` trials of probability `p`. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return regularizedIncompleteBeta(1 - p, n - k, k + 1);
}

/** The standard normal CDF Φ(z), through erfc(x) = Q(½, x²), to about 15 significant digits in both tails. */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const erfc = x * x < 1.5 ? 1 - lowerGammaSeries(0.5, x * x) : upperGammaContinuedFraction(0.5, x * x);
  return z < 0 ? erfc / 2 : 1 - erfc / 2;
}

/** The regularized lower incomplete gamma P(a, x) by its series (for x < a + 1). */
function lowerGammaSeries(a: number, x: number): number {
  if (x === 0) return 0;
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 1_000 && Math.abs(term) > Math.abs(sum) * 1e-17; n++) {
    term *= x / (a + n);
    sum += term;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** The regularized upper incomplete gamma Q(a, x) by its continued fraction (for x ≥ a + 1). */
function upperGammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let result = d;
  for (let i = 1; i < 1_000; i++) {
    const numerator = -i * (i - a);
    b += 2;
    d = numerator * d + b;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = b + numerator / c;
    if (Math.abs(c) < tiny) c = tiny;
    result *= d * c;
    if (Math.abs(d * c - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * result;
}

/**
 * The standard normal quantile Φ⁻¹(p): Acklam's rational approximation (relative error 1.15e-9)
 * refined by one Halley step on {@link normalCdf}, to about 15 significant digits.
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p > 0.5) return -normalQuantile(1 - p);
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q +
        2.938163982698783) /
      ((((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r + 1.38357751867269e2) * r - 3.066479806614716e1) * r +
        2.506628277459239) *
        q) /
      (((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r + 6.680131188771972e1) * r - 1.328068155288572e1) * r + 1);
  }
  const error = normalCdf(x) - p;
  const step = error * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - step / (1 + (x * step) / 2);
}

/** Student's t CDF with `df` degrees of freedom (any positive real), through I_x(df/2, ½). */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(t);
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t > 0 ? 1 - tail : tail;
}

function studentTDensity(t: number, df: number): number {
  return Math.exp(logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/**
 * Student's t quantile: Newton's method on {@link studentTCdf}. Below the median the CDF is convex,
 * so from a start between the answer and 0 (the normal quantile) every step stays on that side
 * and converges without overshooting; from a start beyond the answer the first step crosses to
 * that side. From 8 degrees of freedom the start is the Cornish–Fisher expansion (Abramowitz and
 * Stegun 26.7.5), close enough that one or two steps reach full precision: a canary check computes
 * several quantiles at every look.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!Number.isFinite(df)) return normalQuantile(p);
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p > 0.5) return -studentTQuantile(1 - p, df);
  const z = normalQuantile(p);
  let t = df >= 8 ? cornishFisherT(z, df) : z;
  for (let i = 0; i < 200; i++) {
    const step = (studentTCdf(t, df) - p) / studentTDensity(t, df);
    t -= step;
    if (Math.abs(step) <= 1e-13 * Math.max(1, Math.abs(t))) break;
  }
  return t;
}

function cornishFisherT(z: number, df: number): number {
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
  const g4 = (z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)) / 92160;
  return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}
