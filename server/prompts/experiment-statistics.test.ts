import { describe, expect, it } from "vitest";
import {
  binomialCdf,
  compareArms,
  createArmAccumulator,
  fisherExactTest,
  logGamma,
  newcombeInterval,
  normalCdf,
  normalQuantile,
  orderStatistics,
  quantile,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
  summarizeArm,
  summarizeArmSample,
  twoProportionZTest,
  welchTTest,
  type ArmSummary,
  type RunOutcome,
} from "./experiment-statistics.js";

// Reference values come from SciPy 1.17 (scipy.stats, scipy.special) unless a comment names another source.

/** An arm of `runs` runs, `successes` of them successful, with the given feedback scores on the first runs. */
function arm(runs: number, successes: number, feedback: readonly number[] = []): ArmSummary {
  const outcomes: RunOutcome[] = Array.from({ length: runs }, (_, index) => ({
    succeeded: index < successes,
    latencyMs: 100,
    tokens: 10,
    costUsd: 0.001,
    ...(index < feedback.length ? { feedback: feedback[index] } : {}),
  }));
  return summarizeArm(outcomes);
}

describe("summarizeArm", () => {
  it("counts runs, successes, tokens and cost, and averages latency and feedback", () => {
    const outcomes: RunOutcome[] = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].map((latencyMs, index) => ({
      succeeded: index % 5 !== 0,
      latencyMs,
      tokens: 100 + index,
      costUsd: 0.01,
      ...(index < 4 ? { feedback: [4, 5, 3, 4][index] } : {}),
    }));
    const summary = summarizeArm(outcomes);
    expect(summary).toMatchObject({ runs: 10, successes: 8, successRate: 0.8, meanLatencyMs: 550, tokens: 1045, feedbackCount: 4, meanFeedback: 4 });
    expect(summary.costUsd).toBeCloseTo(0.1, 12);
    expect(summary.costPerRunUsd).toBeCloseTo(0.01, 12);
    // numpy.percentile(range(100, 1001, 100), 95): position 9·0.95 = 8.55, between 900 and 1000.
    expect(summary.p95LatencyMs).toBeCloseTo(955, 9);
    // Sample variance of 4, 5, 3, 4.
    expect(summary.feedbackVariance).toBeCloseTo(2 / 3, 12);
  });

  it("ignores feedback that is not a finite number", () => {
    const summary = summarizeArm([
      { succeeded: true, latencyMs: 1, tokens: 1, costUsd: 0, feedback: Number.NaN },
      { succeeded: true, latencyMs: 1, tokens: 1, costUsd: 0, feedback: 2 },
    ]);
    expect(summary).toMatchObject({ feedbackCount: 1, meanFeedback: 2 });
    expect(summary.feedbackVariance).toBeNaN();
  });

  it("says NaN for the rates and means of an arm without runs", () => {
    const summary = summarizeArm([]);
    expect(summary.runs).toBe(0);
    expect(summary.successRate).toBeNaN();
    expect(summary.p95LatencyMs).toBeNaN();
    expect(summary.meanFeedback).toBeNaN();
  });
});

describe("createArmAccumulator", () => {
  it("summarises the runs added to it as summarizeArm does, past its first buffer", () => {
    const outcomes: RunOutcome[] = Array.from({ length: 150 }, (_, index) => ({
      succeeded: index % 7 !== 0,
      latencyMs: 100 + ((index * 37) % 101),
      tokens: index,
      costUsd: 0.001 * (index % 5),
      ...(index % 3 === 0 ? { feedback: index % 5 } : {}),
    }));
    const accumulator = createArmAccumulator(4);
    const first = outcomes.slice(0, 60);
    for (const outcome of first) accumulator.add(outcome);
    expect(accumulator.sample().summary).toEqual(summarizeArm(first));
    for (const outcome of outcomes.slice(60)) accumulator.add(outcome);
    const sample = accumulator.sample();
    const expected = summarizeArmSample(outcomes);
    expect(accumulator.runs).toBe(150);
    expect(sample.summary).toEqual(expected.summary);
    expect(sample.costVariance).toBeCloseTo(expected.costVariance, 15);
    expect(Float64Array.from(sample.latencies).sort()).toEqual(Float64Array.from(outcomes, (outcome) => outcome.latencyMs).sort());
  });
});

describe("quantile", () => {
  it.each([
    { values: [5, 1, 3], q: 0.95, expected: 4.8 },
    { values: [7], q: 0.95, expected: 7 },
    { values: [4, 2, 3, 1], q: 0.5, expected: 2.5 },
    { values: [1, 4, 2, 3], q: 1, expected: 4 },
  ])("is the type 7 quantile: $q of $values is $expected", ({ values, q, expected }) => {
    expect(quantile(Float64Array.from(values), q)).toBeCloseTo(expected, 12);
  });
});

describe("orderStatistics", () => {
  it("finds the same values as a sort, for any ranks, with ties", () => {
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let trial = 0; trial < 50; trial++) {
      const values = Float64Array.from({ length: 1 + (next() % 300) }, () => next() % 40);
      const sorted = Float64Array.from(values).sort();
      const ranks = Array.from({ length: 5 }, () => 1 + (next() % values.length));
      expect(orderStatistics(values, ranks)).toEqual(ranks.map((rank) => sorted[rank - 1]));
    }
  });
});

describe("distributions", () => {
  it.each([
    { t: 2, df: 5, expected: 0.9490302605850708 },
    { t: -3, df: 10, expected: 0.006671827511284785 },
    { t: 1, df: 1, expected: 0.75 },
    { t: 0, df: 7.3, expected: 0.5 },
    { t: -8, df: 3, expected: 0.002038288793892733 },
  ])("Student's t CDF at $t with $df degrees of freedom is $expected", ({ t, df, expected }) => {
    expect(studentTCdf(t, df)).toBeCloseTo(expected, 13);
    expect(Math.abs(studentTCdf(t, df) / expected - 1)).toBeLessThan(1e-10);
  });

  it.each([
    { p: 0.975, df: 10, expected: 2.228138851986274 },
    { p: 0.9995, df: 3, expected: 12.923978636687961 },
    { p: 1e-5, df: 12.5, expected: -6.6259909909143095 },
    { p: 0.5, df: 4, expected: 0 },
  ])("Student's t quantile $p with $df degrees of freedom is $expected", ({ p, df, expected }) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 10);
  });

  it.each([
    { z: -5, expected: 2.866515718791933e-7 },
    { z: 1.96, expected: 0.9750021048517795 },
    { z: 0.3, expected: 0.6179114221889526 },
    { z: -20, expected: 2.7536241186061556e-89 },
  ])("normal CDF at $z is $expected to ten significant digits", ({ z, expected }) => {
    expect(Math.abs(normalCdf(z) / expected - 1)).toBeLessThan(1e-10);
  });

  it.each([
    { p: 0.975, expected: 1.959963984540054 },
    { p: 1e-10, expected: -6.361340902404056 },
    { p: 0.5, expected: 0 },
    { p: 0.3, expected: -0.5244005127080407 },
  ])("normal quantile $p is $expected", ({ p, expected }) => {
    expect(normalQuantile(p)).toBeCloseTo(expected, 12);
  });

  it("computes the regularized incomplete beta, the binomial CDF and ln Γ", () => {
    expect(regularizedIncompleteBeta(0.4, 2.5, 3.5)).toBeCloseTo(0.4869041915261176, 13);
    expect(regularizedIncompleteBeta(0.97, 500, 20)).toBeCloseTo(0.8444190533164463, 11);
    expect(binomialCdf(90, 100, 0.95)).toBeCloseTo(0.028188294163416307, 13);
    expect(binomialCdf(8500, 9000, 0.95)).toBeCloseTo(0.009102359599190944, 11);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 12);
    expect(logGamma(1000.5)).toBeCloseTo(5908.674175848678, 9);
  });
});

describe("tests and intervals", () => {
  it("matches Newcombe's own example of his method 10: 56/70 − 48/80 is 0.0524 to 0.3339", () => {
    // Newcombe (1998), Statistics in Medicine 17:873–890, Table II, example (a).
    const interval = newcombeInterval(56, 70, 48, 80, normalQuantile(0.975));
    expect(interval.lower).toBeCloseTo(0.0524, 4);
    expect(interval.upper).toBeCloseTo(0.3339, 4);
  });

  it("computes the two-sided pooled z-test", () => {
    // z = 2.2312355, by hand from the pooled rate 361/408.
    expect(twoProportionZTest(193, 210, 168, 198)).toBeCloseTo(0.02566553106026104, 12);
    expect(twoProportionZTest(30, 30, 30, 30)).toBe(1);
  });

  it("computes Fisher's exact test, two-sided", () => {
    expect(fisherExactTest(8, 2, 1, 5)).toBeCloseTo(0.034965034965034975, 12);
    expect(fisherExactTest(30, 0, 26, 4)).toBeCloseTo(0.11239964317573597, 12);
    expect(fisherExactTest(28, 2, 22, 8)).toBeCloseTo(0.07972201478079077, 12);
  });

  it("computes Welch's t-test", () => {
    // scipy.stats.ttest_ind(a, b, equal_var=False) on the samples below.
    const a = { mean: 53 / 13, variance: 0.5769230769230771, count: 13 };
    const b = { mean: 36 / 11, variance: 0.8181818181818181, count: 11 };
    const welch = welchTTest(a, b);
    expect(welch.t).toBeCloseTo(2.333612736587806, 12);
    expect(welch.degreesOfFreedom).toBeCloseTo(19.66042532966318, 10);
    expect(welch.pValue).toBeCloseTo(0.030357771658853977, 12);
  });
});

describe("compareArms", () => {
  it("states a significant success-rate difference with the z-test, the interval, the level and the minimum", () => {
    const comparison = compareArms(arm(198, 168), arm(210, 193), { names: { treatment: "v2", control: "v1" } });
    expect(comparison.successRate).toMatchObject({ test: "two-proportion z-test", enoughData: true, significant: true });
    expect(comparison.successRate.pValue).toBeCloseTo(0.02566553106026104, 12);
    expect(comparison.successRate.difference).toBeCloseTo(0.0705627705627705, 12);
    const interval = comparison.successRate.interval;
    expect(interval?.lower).toBeLessThan(0.0706);
    expect(interval?.upper).toBeGreaterThan(0.0706);
    expect(comparison.successRate.statement).toBe(
      `Success rate of v2 vs v1: 0.919 vs 0.848 (+0.071, 95% CI +${Number(interval?.lower.toFixed(3))} to +${Number(interval?.upper.toFixed(3))}): ` +
        "significant at 95% (two-proportion z-test, two-sided, p = 0.0257; n = 210 and 198 runs, minimum 30 per arm).",
    );
  });

  it("uses Fisher's exact test when a cell expects fewer than 5 runs", () => {
    const comparison = compareArms(arm(30, 26), arm(30, 30));
    expect(comparison.successRate).toMatchObject({ test: "Fisher's exact test", significant: false });
    expect(comparison.successRate.pValue).toBeCloseTo(0.11239964317573597, 12);
    expect(comparison.successRate.statement).toContain("not significant at 95% (Fisher's exact test, two-sided, p = 0.112;");
  });

  it("compares feedback with Welch's t-test and its t interval", () => {
    const treatment = [4, 5, 3, 4, 5, 4, 3, 5, 4, 4, 5, 3, 4];
    const control = [3, 4, 2, 3, 4, 3, 5, 2, 3, 3, 4];
    const comparison = compareArms(arm(40, 36, control), arm(40, 36, treatment), { minFeedbackPerArm: 10 });
    expect(comparison.feedback).toMatchObject({ test: "Welch's t-test", enoughData: true, significant: true });
    expect(comparison.feedback.pValue).toBeCloseTo(0.030357771658853977, 12);
    // scipy's TtestResult.confidence_interval(0.95).
    expect(comparison.feedback.interval?.lower).toBeCloseTo(0.08454664411893542, 10);
    expect(comparison.feedback.interval?.upper).toBeCloseTo(1.523844964272672, 10);
    expect(comparison.feedback.statement).toBe(
      "Mean feedback of treatment vs control: 4.077 vs 3.273 (+0.804, 95% CI +0.085 to +1.524): significant at 95% " +
        "(Welch's t-test, two-sided, 19.7 degrees of freedom, p = 0.0304; n = 13 and 11 scores, minimum 10 per arm).",
    );
  });

  it("says not enough data below the minimum sample, and runs no test", () => {
    const comparison = compareArms(arm(40, 30), arm(12, 2));
    expect(comparison.successRate).toMatchObject({ enoughData: false, significant: false });
    expect(comparison.successRate.pValue).toBeUndefined();
    expect(comparison.successRate.interval).toBeUndefined();
    expect(comparison.successRate.statement).toBe(
      "Success rate of treatment vs control: 0.167 vs 0.75: not enough data (n = 12 and 40 runs, minimum 30 per arm); not tested at 95%.",
    );
    expect(comparison.feedback.statement).toContain("not enough data (n = 0 and 0 scores, minimum 10 per arm)");
    expect(comparison.statement).toBe(`${comparison.successRate.statement} ${comparison.feedback.statement}`);
  });

  it("tests at the confidence level asked for", () => {
    // p = 0.0257: significant at 95%, not at 99%.
    const comparison = compareArms(arm(198, 168), arm(210, 193), { confidence: 0.99 });
    expect(comparison.successRate.significant).toBe(false);
    expect(comparison.successRate.statement).toContain("not significant at 99% (two-proportion z-test");
    expect(comparison.successRate.statement).toContain("99% CI");
  });
});
