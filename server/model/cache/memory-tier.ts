import { LRUCache } from "lru-cache";

/** Bounds of the in-memory tier. */
export interface MemoryTierOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
}

/**
 * The in-memory tier (L1): encoded entries in an LRU bounded by count and by
 * bytes, each expiring after its TTL. Entries are kept as their JSON text, so
 * the byte bound is exact and a caller mutating a value it got back cannot
 * change what the next caller gets.
 */
export interface MemoryTier {
  get(key: string): string | undefined;
  /** Stores `entry` for `ttlMs` (default: the tier's TTL). An entry larger than the byte bound is not stored. */
  set(key: string, entry: string, ttlMs?: number): void;
  delete(key: string): void;
  readonly entries: number;
  readonly bytes: number;
}

/** Creates the in-memory tier. */
export function createMemoryTier(options: MemoryTierOptions): MemoryTier {
  const lru = new LRUCache<string, string>({
    max: options.maxEntries,
    maxSize: options.maxBytes,
    // An entry larger than maxSize is dropped by lru-cache, not stored.
    sizeCalculation: (entry) => entry.length,
    ttl: options.ttlMs,
    // Read the clock when asked rather than capturing `performance` at load,
    // so the TTL follows whatever clock the process (or a test) installed.
    perf: { now: () => performance.now() },
  });
  return {
    get: (key) => lru.get(key),
    set(key, entry, ttlMs) {
      lru.set(key, entry, ttlMs === undefined ? undefined : { ttl: ttlMs });
    },
    delete(key) {
      lru.delete(key);
    },
    get entries() {
      return lru.size;
    },
    get bytes() {
      return lru.calculatedSize;
    },
  };
}
