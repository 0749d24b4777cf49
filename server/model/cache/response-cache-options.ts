import type { Logger } from "pino";
import type { z } from "zod";
import { secretReader, type SecretSource } from "../../secret-source.js";
import { redactRedisUrl } from "./redis-url.js";

/** Where a cached value was found: in process memory or in Redis. */
export type CacheTier = "l1" | "l2";

/** Health of the Redis tier: `ready` serves and stores, `degraded` is skipped until Redis answers again. */
export type RedisTierState = "ready" | "degraded";

/** What the cache reports to its observer, for metrics. */
export type CacheEvent =
  | { readonly type: "hit"; readonly tier: CacheTier }
  | { readonly type: "miss" }
  | { readonly type: "coalesced" }
  /**
   * A Redis command failed or timed out (a `RedisTimeoutError`). Count it;
   * don't log `error` whole: ioredis errors carry the command's arguments,
   * cached values among them.
   */
  | { readonly type: "l2-error"; readonly operation: "get" | "set"; readonly error: unknown }
  /** Redis became usable again, or stopped being usable. Reported on changes only. */
  | { readonly type: "l2-state"; readonly state: RedisTierState };

/** Options for {@link createResponseCache}. */
export interface ResponseCacheOptions<T> {
  /**
   * Format version of cached values; values written with another version are
   * misses, so a format change never serves garbage. Bump it whenever `T`'s
   * shape changes.
   */
  readonly version: number;
  /** Validates a value read back (from Redis especially); a value failing it is a miss and is deleted. */
  readonly schema: z.ZodType<T>;
  /** Most entries kept in memory. Default 1000. */
  readonly maxEntries?: number;
  /** Most bytes kept in memory, counted as the JSON length of each stored entry. Default 50 MiB. */
  readonly maxBytes?: number;
  /** How long a value stays cached, in memory and in Redis. Default 10 minutes. */
  readonly ttlMs?: number;
  /**
   * Redis URL such as `redis://127.0.0.1:6379/0`; when set, Redis is the
   * second tier. An empty string means none. Default none. A function is
   * read at each reconnection, for the credentials only (a password reread
   * on SIGHUP); the server stays the first URL's.
   */
  readonly redisUrl?: SecretSource;
  /** Prefix of every Redis key. Default `agent:cache:`. */
  readonly keyPrefix?: string;
  /** Longest wait for one Redis command before treating Redis as unavailable for this call. Default 50 ms. */
  readonly redisTimeoutMs?: number;
  /** Where state changes of the Redis tier are logged. Values are never logged. */
  readonly logger: Logger;
  /** Observer for metrics: hits by tier, misses, coalesced waits, Redis errors and state changes. Default none. */
  readonly onEvent?: (event: CacheEvent) => void;
}

/** {@link ResponseCacheOptions} with every default applied and every bound checked. */
export interface ResolvedResponseCacheOptions<T> {
  readonly version: number;
  readonly schema: z.ZodType<T>;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
  readonly redisUrl: SecretSource | undefined;
  readonly keyPrefix: string;
  readonly redisTimeoutMs: number;
  readonly logger: Logger;
  readonly onEvent: (event: CacheEvent) => void;
}

/**
 * Applies the defaults of {@link ResponseCacheOptions} and rejects values the
 * cache cannot work with, naming the option, so a bad configuration fails at
 * start-up rather than on the first request.
 */
export function resolveResponseCacheOptions<T>(options: ResponseCacheOptions<T>): ResolvedResponseCacheOptions<T> {
  const resolved: ResolvedResponseCacheOptions<T> = {
    version: options.version,
    schema: options.schema,
    maxEntries: options.maxEntries ?? 1000,
    maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
    ttlMs: options.ttlMs ?? 10 * 60 * 1000,
    redisUrl: options.redisUrl === undefined || secretReader(options.redisUrl)() === "" ? undefined : options.redisUrl,
    keyPrefix: options.keyPrefix ?? "agent:cache:",
    redisTimeoutMs: options.redisTimeoutMs ?? 50,
    logger: options.logger,
    onEvent: options.onEvent ?? (() => {}),
  };
  requireInteger("version", resolved.version, 0);
  requireInteger("maxEntries", resolved.maxEntries, 1);
  requireInteger("maxBytes", resolved.maxBytes, 1);
  requireInteger("ttlMs", resolved.ttlMs, 1);
  requireInteger("redisTimeoutMs", resolved.redisTimeoutMs, 1);
  if (resolved.redisUrl !== undefined) {
    requireRedisUrl(secretReader(resolved.redisUrl)());
  }
  return Object.freeze(resolved);
}

/**
 * Checks the URL here rather than leaving it to ioredis, whose parse errors
 * quote the URL, password and all, into whatever logs the start-up failure.
 */
function requireRedisUrl(url: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new RangeError(`response cache option redisUrl must be a redis:// or rediss:// URL, got ${redactRedisUrl(url)}`);
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`response cache option ${name} must be an integer of at least ${min}, got ${value}`);
  }
}
