import { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { TurnTicket } from "../agent/turn-meter.js";
import { LimitExceededError, type LimitName } from "../errors/limit-exceeded.js";
import { followRedisCredentials } from "../redis-credentials.js";
import { secretReader, type SecretSource } from "../secret-source.js";
import type { RunAdmission } from "../runs/run-admission.js";
import { createMemoryConcurrentRuns, createRedisConcurrentRuns, type ConcurrentRuns } from "./concurrent-runs.js";
import { limitsOf, type LimitsPolicy, type PrincipalLimits } from "./limits-policy.js";

/** Who a limit applies to: a principal as authentication established it. */
export interface LimitedPrincipal {
  readonly id: string;
  readonly roles: readonly string[];
}

/** Every principal's limits and budgets, counted in memory or in a Redis shared by replicas. */
export interface PrincipalLimiter {
  /** Counts one request against `requests_per_minute`; throws {@link LimitExceededError}. */
  admitRequest(principal: LimitedPrincipal): Promise<void>;
  /** The run-time limits of one principal: concurrent runs, tokens and cost per 24 hours. */
  forRun(principal: LimitedPrincipal): RunAdmission;
  close(): Promise<void>;
}

export interface PrincipalLimiterOptions {
  readonly policy: LimitsPolicy;
  /**
   * A Redis URL: replicas share the counts. Undefined: each replica counts in
   * memory. A function is read at each reconnection, for the credentials
   * only (a password reread on SIGHUP); the server stays the first URL's.
   */
  readonly redisUrl: SecretSource | undefined;
  readonly logger: Logger;
  /**
   * Longest wait for Redis before a replica counts in memory instead. Default
   * 1,000 ms: Redis answers in about a millisecond, so only a stalled Redis
   * takes that long, and a shorter bound would split the count between
   * replicas whenever a busy replica is slow to read the answer.
   */
  readonly redisTimeoutMs?: number;
  /** Key prefix in Redis. Default `agent:limits`. */
  readonly keyPrefix?: string;
}

const minuteS = 60;
const dayS = 24 * 60 * 60;
/** A principal's concurrent-run count in Redis expires once it started nothing for this long: what a replica that died holding runs leaves is forgotten then. */
const concurrentRunsIdleTtlS = 60 * 60;
/** Cost is counted in micro-dollars: the limiters count integers. */
const microUsd = 1_000_000;

/**
 * Creates the limiter: `rate-limiter-flexible` counters per limit and value,
 * in Redis (atomic, shared; with an in-memory insurance limiter that counts
 * while Redis is down or slower than `redisTimeoutMs`: then each replica
 * counts alone, so a limit holds per replica) or in memory.
 */
export function createPrincipalLimiter(options: PrincipalLimiterOptions): PrincipalLimiter {
  const { policy, logger } = options;
  const keyPrefix = options.keyPrefix ?? "agent:limits";
  const timeoutMs = options.redisTimeoutMs ?? 1_000;
  const redisUrl = options.redisUrl === undefined ? undefined : secretReader(options.redisUrl);
  const redis =
    redisUrl === undefined
      ? undefined
      : new Redis(redisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2_000, lazyConnect: false });
  if (redis !== undefined && redisUrl !== undefined) {
    followRedisCredentials(redis, redisUrl);
  }
  let redisDown = false;
  redis?.on("error", (err: unknown) => {
    if (!redisDown) {
      redisDown = true;
      logger.warn({ reason: err instanceof Error ? err.message : String(err) }, "limits: redis unavailable, each replica counts in memory until it is back");
    }
  });
  redis?.on("ready", () => {
    if (redisDown) {
      redisDown = false;
      logger.info("limits: redis available again, counts are shared");
    }
  });

  const concurrentRuns: ConcurrentRuns =
    redis === undefined
      ? createMemoryConcurrentRuns()
      : createRedisConcurrentRuns({
          redis,
          keyPrefix: `${keyPrefix}:concurrent_runs`,
          idleTtlS: concurrentRunsIdleTtlS,
          timeoutMs,
          fallback: createMemoryConcurrentRuns(),
        });

  // One counter per limit and value: a principal's override is a counter of its own.
  const counters = new Map<string, RateLimiterAbstract>();
  function counter(limit: LimitName, points: number, durationS: number): RateLimiterAbstract {
    const name = `${keyPrefix}:${limit}:${points}`;
    let found = counters.get(name);
    if (found === undefined) {
      const memory = new RateLimiterMemory({ keyPrefix: name, points, duration: durationS });
      found =
        redis === undefined
          ? memory
          : new RLWrapperTimeouts({
              limiter: new RateLimiterRedis({ storeClient: redis, keyPrefix: name, points, duration: durationS, rejectIfRedisNotReady: true }),
              timeoutMs,
              insuranceLimiter: memory,
            });
      counters.set(name, found);
    }
    return found;
  }

  /** Consumes `points`; over the limit, gives them back and throws the limit's error. */
  async function take(limit: LimitName, allowed: number, points: number, durationS: number, principal: string, retryAfterMs?: number): Promise<void> {
    const limiter = counter(limit, limitPoints(limit, allowed), durationS);
    try {
      await limiter.consume(principal, points);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        throw err;
      }
      // A refused consume still counted its points: give them back, or the refusal would spend the budget.
      await limiter.reward(principal, points).catch(() => undefined);
      throw new LimitExceededError(limit, principal, allowed, retryAfterMs ?? err.msBeforeNext);
    }
  }

  function give(limit: LimitName, allowed: number, points: number, durationS: number, principal: string): void {
    if (points > 0) {
      void counter(limit, limitPoints(limit, allowed), durationS).reward(principal, points).catch(() => undefined);
    } else if (points < 0) {
      void counter(limit, limitPoints(limit, allowed), durationS).penalty(principal, -points).catch(() => undefined);
    }
  }

  return {
    async admitRequest(principal) {
      const { requests_per_minute: allowed } = limitsOf(policy, principal);
      if (allowed > 0) {
        await take("requests_per_minute", allowed, 1, minuteS, principal.id);
      }
    },

    forRun(principal) {
      const limits: PrincipalLimits = limitsOf(policy, principal);
      const id = principal.id;
      return {
        async acquireRun() {
          const allowed = limits.concurrent_runs;
          if (allowed === 0) {
            return () => undefined;
          }
          if (!(await concurrentRuns.tryAcquire(id, allowed))) {
            // Nothing says when a run ends: a second is a fair wait before trying again.
            throw new LimitExceededError("concurrent_runs", id, allowed, 1_000);
          }
          let released = false;
          return () => {
            if (!released) {
              released = true;
              void concurrentRuns.release(id);
            }
          };
        },

        async reserveTurn(tokens) {
          const tokenBudget = limits.tokens_per_day;
          const costBudget = limits.cost_usd_per_day;
          if (costBudget > 0) {
            // Cost is known only after a call: a principal whose spend reached its budget makes no more calls.
            const spent = await counter("cost_usd_per_day", limitPoints("cost_usd_per_day", costBudget), dayS).get(id);
            if (spent !== null && spent.consumedPoints >= costBudget * microUsd) {
              throw new LimitExceededError("cost_usd_per_day", id, costBudget, spent.msBeforeNext);
            }
          }
          const reserved = tokenBudget > 0 ? Math.max(1, Math.ceil(tokens)) : 0;
          if (reserved > 0) {
            await take("tokens_per_day", tokenBudget, reserved, dayS, id);
          }
          let done = false;
          const ticket: TurnTicket = {
            settle(used) {
              if (done) return;
              done = true;
              if (reserved > 0) {
                give("tokens_per_day", tokenBudget, reserved - used.tokens, dayS, id);
              }
              if (costBudget > 0 && used.costUsd > 0) {
                give("cost_usd_per_day", costBudget, -Math.round(used.costUsd * microUsd), dayS, id);
              }
            },
            release() {
              if (done) return;
              done = true;
              give("tokens_per_day", tokenBudget, reserved, dayS, id);
            },
          };
          return ticket;
        },
      };
    },

    async close() {
      redis?.disconnect();
    },
  };
}

/** The counter's points for a limit's value: micro-dollars for cost. */
function limitPoints(limit: LimitName, allowed: number): number {
  return limit === "cost_usd_per_day" ? Math.round(allowed * microUsd) : allowed;
}
