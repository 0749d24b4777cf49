/** The limits a principal has (see README, "Limits and budgets"). */
export type LimitName = "requests_per_minute" | "concurrent_runs" | "tokens_per_day" | "cost_usd_per_day";

/** What each limit is called for a person, and the error reason a program reads. */
export const limitDescriptions: Readonly<Record<LimitName, { readonly unit: string; readonly reason: string }>> = {
  requests_per_minute: { unit: "requests per minute", reason: "RATE_LIMITED" },
  concurrent_runs: { unit: "concurrent runs", reason: "CONCURRENT_RUNS_LIMITED" },
  tokens_per_day: { unit: "tokens per 24 hours", reason: "TOKEN_BUDGET_EXHAUSTED" },
  cost_usd_per_day: { unit: "USD per 24 hours", reason: "COST_BUDGET_EXHAUSTED" },
};

/**
 * A principal is over one of its limits. Mapped to RESOURCE_EXHAUSTED with
 * the limit's name in the message and `retryAfterMs` as the typed detail:
 * when the limiter says a retry can succeed.
 */
export class LimitExceededError extends Error {
  override readonly name = "LimitExceededError";
  constructor(
    readonly limit: LimitName,
    readonly principal: string,
    /** The limit's value for this principal. */
    readonly allowed: number,
    /** When a retry can succeed, from the limiter's window. */
    readonly retryAfterMs: number,
  ) {
    const retry = retryAfterMs >= 1_000 ? `${Math.ceil(retryAfterMs / 1_000)} s` : `${Math.max(1, Math.ceil(retryAfterMs))} ms`;
    super(`${principal} is over its limit ${limit} (${allowed} ${limitDescriptions[limit].unit}); retry in ${retry}`);
  }
}

/** True when `err` is a {@link LimitExceededError}. */
export function isLimitExceededError(err: unknown): err is LimitExceededError {
  return err instanceof LimitExceededError;
}
