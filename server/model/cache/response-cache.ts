import { createCacheEntryCodec } from "./cache-entry.js";
import { createMemoryTier } from "./memory-tier.js";
import { createRedisTier, type RedisTier } from "./redis-tier.js";
import { createRequestCoalescer } from "./request-coalescer.js";
import {
  resolveResponseCacheOptions,
  type CacheEvent,
  type CacheTier,
  type RedisTierState,
  type ResponseCacheOptions,
} from "./response-cache-options.js";

/** Where {@link ResponseCache.getOrCompute} got its value: a tier, its own computation, or another caller's. */
export type ResponseSource = CacheTier | "computed" | "coalesced";

/** Options of one {@link ResponseCache.getOrCompute} call. */
export interface GetOrComputeOptions<T> {
  /** Rejects this caller alone with `signal.reason`. Default none. */
  readonly signal?: AbortSignal;
  /** Whether a computed value is stored. Default: always. */
  readonly shouldStore?: (value: T) => boolean;
}

/** What the cache reports for health checks. */
export interface ResponseCacheState {
  readonly l1: { readonly entries: number; readonly bytes: number };
  readonly l2: "disabled" | RedisTierState;
}

/**
 * A two-tier cache of model responses: in memory (L1) and, when configured,
 * in Redis (L2). Redis failing never fails a caller; the cache serves from
 * memory until Redis answers again.
 */
export interface ResponseCache<T> {
  /** Looks the key up in L1 then L2 (an L2 hit is copied into L1). */
  get(key: string): Promise<{ value: T; tier: CacheTier } | undefined>;
  /** Stores in L1 and L2; the L2 write is awaited at most `redisTimeoutMs`, and its failure is reported, not thrown. */
  set(key: string, value: T): Promise<void>;
  /**
   * Coalesced read-through: returns a cached value, or runs `compute` once for
   * all concurrent callers of the same key, stores the result when
   * `shouldStore(result)` (default: always), and returns it to every waiter.
   * A failing compute rejects every waiter and stores nothing. A waiter's own
   * AbortSignal rejects only that waiter with `signal.reason`; the computation
   * continues for the others unless every waiter has aborted, in which case
   * the AbortSignal passed to `compute` aborts and its result is not stored.
   */
  getOrCompute(
    key: string,
    compute: (signal: AbortSignal) => Promise<T>,
    options?: GetOrComputeOptions<T>,
  ): Promise<{ value: T; source: ResponseSource }>;
  /** For health reporting. */
  state(): ResponseCacheState;
  /** Disconnects from Redis; the memory tier keeps working. */
  close(): Promise<void>;
}

/** Creates a response cache; connects to Redis at once when `redisUrl` is set. */
export function createResponseCache<T>(options: ResponseCacheOptions<T>): ResponseCache<T> {
  const { version, schema, maxEntries, maxBytes, ttlMs, redisUrl, keyPrefix, redisTimeoutMs, logger, onEvent } =
    resolveResponseCacheOptions(options);
  const codec = createCacheEntryCodec(version, schema);
  const memory = createMemoryTier({ maxEntries, maxBytes, ttlMs });
  const coalescer = createRequestCoalescer<{ value: T; source: "l2" | "computed" }>();

  function emit(event: CacheEvent): void {
    try {
      onEvent(event);
    } catch (err) {
      // A broken metrics observer must not break the request it observes.
      logger.error({ err, event: event.type }, "response cache: event observer threw");
    }
  }

  const redis: RedisTier | undefined =
    redisUrl === undefined ? undefined : createRedisTier({ url: redisUrl, keyPrefix, timeoutMs: redisTimeoutMs, logger, onEvent: emit });

  function readMemory(key: string): T | undefined {
    const entry = memory.get(key);
    if (entry === undefined) {
      return undefined;
    }
    const decoded = codec.decode(entry);
    if (!decoded.ok) {
      memory.delete(key);
      return undefined;
    }
    return decoded.value;
  }

  async function readRedis(key: string): Promise<T | undefined> {
    const found = await redis?.get(key);
    if (found === undefined) {
      return undefined;
    }
    const decoded = codec.decode(found.entry);
    if (!decoded.ok) {
      // Written by another format version or damaged: never served, and
      // removed so the next write is not shadowed by it meanwhile.
      logger.debug({ reason: decoded.reason }, "response cache: discarded unusable redis entry");
      redis?.deleteIfUnchanged(key, found.entry);
      return undefined;
    }
    memory.set(key, found.entry, found.ttlMs === undefined ? ttlMs : Math.min(found.ttlMs, ttlMs));
    return decoded.value;
  }

  async function set(key: string, value: T): Promise<void> {
    const entry = codec.encode(value);
    memory.set(key, entry);
    await redis?.set(key, entry, ttlMs);
  }

  /** The shared part of getOrCompute, run once per key however many callers wait. */
  async function readRedisOrCompute(
    key: string,
    compute: (signal: AbortSignal) => Promise<T>,
    shouldStore: (value: T) => boolean,
    signal: AbortSignal,
  ): Promise<{ value: T; source: "l2" | "computed" }> {
    const cached = await readRedis(key);
    if (cached !== undefined) {
      emit({ type: "hit", tier: "l2" });
      return { value: cached, source: "l2" };
    }
    emit({ type: "miss" });
    signal.throwIfAborted();
    const value = await compute(signal);
    // A computation cancelled because every waiter left may return something
    // partial; only a result someone was still waiting for is stored.
    if (!signal.aborted && shouldStore(value)) {
      await set(key, value);
    }
    return { value, source: "computed" };
  }

  return {
    async get(key) {
      const inMemory = readMemory(key);
      if (inMemory !== undefined) {
        emit({ type: "hit", tier: "l1" });
        return { value: inMemory, tier: "l1" };
      }
      const inRedis = await readRedis(key);
      if (inRedis !== undefined) {
        emit({ type: "hit", tier: "l2" });
        return { value: inRedis, tier: "l2" };
      }
      emit({ type: "miss" });
      return undefined;
    },
    set,
    async getOrCompute(key, compute, callOptions = {}) {
      const { signal, shouldStore = () => true } = callOptions;
      signal?.throwIfAborted();
      const inMemory = readMemory(key);
      if (inMemory !== undefined) {
        emit({ type: "hit", tier: "l1" });
        return { value: inMemory, source: "l1" };
      }
      const { joined, result } = coalescer.join(
        key,
        (flightSignal) => readRedisOrCompute(key, compute, shouldStore, flightSignal),
        signal,
      );
      if (joined) {
        emit({ type: "coalesced" });
        return { value: (await result).value, source: "coalesced" };
      }
      return result;
    },
    state() {
      return { l1: { entries: memory.entries, bytes: memory.bytes }, l2: redis === undefined ? "disabled" : redis.state };
    },
    async close() {
      await redis?.close();
    },
  };
}
