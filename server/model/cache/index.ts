export { cacheKey } from "./cache-key.js";
export { isRedisTimeoutError, RedisTimeoutError } from "./redis-tier.js";
export { createResponseCache } from "./response-cache.js";
export type { GetOrComputeOptions, ResponseCache, ResponseCacheState, ResponseSource } from "./response-cache.js";
export type { CacheEvent, CacheTier, RedisTierState, ResponseCacheOptions } from "./response-cache-options.js";
