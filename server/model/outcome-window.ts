/** Calls and failures in the recent past. */
export interface OutcomeStats {
  readonly calls: number;
  readonly failures: number;
  /** failures / calls, 0 when there were no calls. */
  readonly errorRate: number;
}

/** A rolling record of call outcomes, for health reports. */
export interface OutcomeWindow {
  record(ok: boolean): void;
  stats(): OutcomeStats;
}

/**
 * Keeps the outcomes of the last `windowMs` (default 60 s), at most
 * `maxOutcomes` (default 1,000) of them, so memory stays bounded under load.
 */
export function createOutcomeWindow(
  options: { windowMs?: number; maxOutcomes?: number; clock?: () => number } = {},
): OutcomeWindow {
  const windowMs = options.windowMs ?? 60_000;
  const maxOutcomes = options.maxOutcomes ?? 1_000;
  const clock = options.clock ?? Date.now;
  const outcomes: { at: number; ok: boolean }[] = [];
  const prune = () => {
    const oldest = clock() - windowMs;
    while (outcomes.length > 0 && ((outcomes[0]?.at ?? 0) < oldest || outcomes.length > maxOutcomes)) {
      outcomes.shift();
    }
  };
  return {
    record(ok) {
      outcomes.push({ at: clock(), ok });
      prune();
    },
    stats() {
      prune();
      const failures = outcomes.filter((o) => !o.ok).length;
      return { calls: outcomes.length, failures, errorRate: outcomes.length === 0 ? 0 : failures / outcomes.length };
    },
  };
}
