import { summarize, type Summary } from "./stats.js";

/** What one fixed-rate step sends. */
export interface OpenLoopOptions {
  /** Requests per second, sent on schedule whether or not earlier ones have answered. */
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** Requests scheduled in this first part of the step are sent but not counted. Default 0. */
  readonly warmupMs?: number;
}

/** How a fixed-rate step went. */
export interface OpenLoopResult {
  readonly ratePerSecond: number;
  /** Counted requests (scheduled after the warm-up). */
  readonly requests: number;
  readonly errors: number;
  /** The first few distinct error messages. */
  readonly errorSamples: readonly string[];
  /**
   * Latency from each request's scheduled send time to its answer, in milliseconds, so a
   * generator that falls behind shows up as latency rather than as a lower rate.
   */
  readonly latency: Summary;
  /** How late, at worst, a request was sent after its scheduled time (the generator's own lag). */
  readonly maxSendLagMs: number;
}

/**
 * Sends `send()` at a fixed rate for the step's duration: an open loop, so queueing in the
 * system under test shows up as latency instead of slowing the sender down, as a closed loop
 * of N workers would. Resolves when every request sent has answered or failed.
 */
export async function runOpenLoop(options: OpenLoopOptions, send: () => Promise<void>): Promise<OpenLoopResult> {
  const { ratePerSecond, durationMs } = options;
  const warmupMs = options.warmupMs ?? 0;
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  const intervalMs = 1000 / ratePerSecond;
  const latencies: number[] = [];
  const errorSamples = new Set<string>();
  const pending: Promise<void>[] = [];
  let errors = 0;
  let maxSendLagMs = 0;
  const started = performance.now();

  const fire = (index: number): void => {
    const scheduledAt = index * intervalMs;
    const counted = scheduledAt >= warmupMs;
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - started - scheduledAt);
    pending.push(
      send().then(
        () => {
          if (counted) latencies.push(performance.now() - started - scheduledAt);
        },
        (error: unknown) => {
          if (!counted) return;
          errors++;
          if (errorSamples.size < 5) errorSamples.add(error instanceof Error ? error.message : String(error));
        },
      ),
    );
  };

  let next = 0;
  while (next < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
    while (next < due) fire(next++);
    // setTimeout's 1 ms floor is finer than any rate measured here needs: sends that fall due
    // within one wake-up go out together, still at their scheduled times' accounting.
    if (next < total) await new Promise((resolve) => setTimeout(resolve, Math.max(0, next * intervalMs - (performance.now() - started))));
  }
  await Promise.all(pending);
  const requests = latencies.length + errors;
  return { ratePerSecond, requests, errors, errorSamples: [...errorSamples], latency: summarize(latencies), maxSendLagMs };
}
