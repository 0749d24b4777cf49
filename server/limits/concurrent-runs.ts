import type { Redis } from "ioredis";

/**
 * Counts a principal's runs in progress. Not a rate limiter: rate-limiter-
 * flexible counts in fixed windows, and a run outlives any window, so when
 * a window expired with runs still going their count was forgotten (and a
 * principal could run twice its limit). Here a count holds until its runs
 * end; in Redis its expiry slides with every run that starts, so the count
 * of a replica that died holding runs is only forgotten once the principal
 * has started nothing for `idleTtlS`. A count never goes below zero.
 */
export interface ConcurrentRuns {
  /** Takes a place when fewer than `limit` are taken; returns whether it did. */
  tryAcquire(principal: string, limit: number): Promise<boolean>;
  /** Gives a place back. */
  release(principal: string): Promise<void>;
}

const acquireScript = `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], n + 1, 'EX', ARGV[2])
return 1`;

const releaseScript = `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 1 then redis.call('DEL', KEYS[1]) return 0 end
redis.call('SET', KEYS[1], n - 1, 'KEEPTTL')
return n - 1`;

/** Counts in this process only. */
export function createMemoryConcurrentRuns(): ConcurrentRuns {
  const running = new Map<string, number>();
  return {
    tryAcquire(principal, limit) {
      const n = running.get(principal) ?? 0;
      if (n >= limit) {
        return Promise.resolve(false);
      }
      running.set(principal, n + 1);
      return Promise.resolve(true);
    },
    release(principal) {
      const n = running.get(principal) ?? 0;
      if (n <= 1) {
        running.delete(principal);
      } else {
        running.set(principal, n - 1);
      }
      return Promise.resolve();
    },
  };
}

/**
 * Counts in Redis, shared by replicas, each step one atomic script; while
 * Redis cannot answer within `timeoutMs`, counts in `fallback` (this
 * replica's), and a place taken there is given back there.
 */
export function createRedisConcurrentRuns(options: {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly idleTtlS: number;
  readonly timeoutMs: number;
  readonly fallback: ConcurrentRuns;
}): ConcurrentRuns {
  const { redis, keyPrefix, idleTtlS, timeoutMs, fallback } = options;
  // Where each principal's places were taken, so that each is given back where it was taken.
  const inFallback = new Map<string, number>();
  const key = (principal: string) => `${keyPrefix}:${principal}`;

  async function withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("redis timed out")), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async tryAcquire(principal, limit) {
      if (redis.status === "ready") {
        try {
          return (await withTimeout(redis.eval(acquireScript, 1, key(principal), limit, idleTtlS))) === 1;
        } catch {
          // Counted here instead, below.
        }
      }
      const taken = await fallback.tryAcquire(principal, limit);
      if (taken) {
        inFallback.set(principal, (inFallback.get(principal) ?? 0) + 1);
      }
      return taken;
    },
    async release(principal) {
      const here = inFallback.get(principal) ?? 0;
      if (here > 0) {
        if (here === 1) inFallback.delete(principal);
        else inFallback.set(principal, here - 1);
        await fallback.release(principal);
        return;
      }
      // Not given back when Redis is down: the count expires once the principal is idle.
      await withTimeout(redis.eval(releaseScript, 1, key(principal))).catch(() => undefined);
    },
  };
}
