/** How big a run of the bench is: `BENCH_QUICK=1` for a smoke run of a few seconds per scenario. */
export interface BenchSettings {
  readonly quick: boolean;
  /** A request count for a full run, cut to a tenth (at least 20) in a quick run. */
  scale(full: number): number;
}

/** Reads the bench's settings from the environment, once. */
export function loadBenchSettings(env: Readonly<Record<string, string | undefined>>): BenchSettings {
  const quick = env["BENCH_QUICK"] === "1" || env["BENCH_QUICK"] === "true";
  return { quick, scale: (full) => (quick ? Math.max(20, Math.round(full / 10)) : full) };
}
