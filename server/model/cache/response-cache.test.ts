import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createCapturedLogger } from "../../../test/support/captured-logger.js";
import { createResponseCache, type ResponseCacheOptions } from "./index.js";
import { createEventLog } from "./testing/event-log.js";

const answer = z.object({ text: z.string() });
type Answer = z.infer<typeof answer>;

function memoryCache(options: Partial<ResponseCacheOptions<Answer>> = {}) {
  const events = createEventLog();
  const cache = createResponseCache<Answer>({
    version: 1,
    schema: answer,
    logger: createCapturedLogger().logger,
    onEvent: events.onEvent,
    ...options,
  });
  return { cache, events };
}

/** JSON length of the stored entry for `{ text }`, which is what the byte bound counts. */
const entryBytes = (text: string) => JSON.stringify({ v: 1, value: { text } }).length;

/**
 * Fake timers whose clock is past zero: lru-cache takes a start time of 0 for
 * "no TTL", and a freshly faked performance.now() reads exactly 0.
 */
function useFakeClock(): void {
  vi.useFakeTimers();
  vi.advanceTimersByTime(1_000);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("response cache in memory", () => {
  it("misses an unknown key and hits it from L1 once set", async () => {
    const { cache, events } = memoryCache();
    expect(await cache.get("k")).toBeUndefined();
    await cache.set("k", { text: "hello" });
    expect(await cache.get("k")).toEqual({ value: { text: "hello" }, tier: "l1" });
    expect(events.events).toEqual([{ type: "miss" }, { type: "hit", tier: "l1" }]);
  });

  it("reports its size and no Redis tier when none is configured", async () => {
    const { cache } = memoryCache();
    await cache.set("k", { text: "hello" });
    expect(cache.state()).toEqual({ l1: { entries: 1, bytes: entryBytes("hello") }, l2: "disabled" });
  });

  it("gives every reader its own copy, so mutating one does not change the cache", async () => {
    const { cache } = memoryCache();
    await cache.set("k", { text: "original" });
    const first = await cache.get("k");
    if (first !== undefined) {
      first.value.text = "mutated";
    }
    expect((await cache.get("k"))?.value.text).toBe("original");
  });

  it("evicts the least recently used entry beyond maxEntries", async () => {
    const { cache } = memoryCache({ maxEntries: 2 });
    await cache.set("a", { text: "a" });
    await cache.set("b", { text: "b" });
    await cache.get("a");
    await cache.set("c", { text: "c" });
    expect(await cache.get("b")).toBeUndefined();
    expect((await cache.get("a"))?.tier).toBe("l1");
    expect((await cache.get("c"))?.tier).toBe("l1");
    expect(cache.state().l1.entries).toBe(2);
  });

  it("evicts entries beyond maxBytes, counting the JSON length of each entry", async () => {
    const text = "x".repeat(100);
    const { cache } = memoryCache({ maxBytes: entryBytes(text) * 2 + 10 });
    await cache.set("a", { text });
    await cache.set("b", { text });
    expect(cache.state().l1).toEqual({ entries: 2, bytes: entryBytes(text) * 2 });
    await cache.set("c", { text });
    expect(await cache.get("a")).toBeUndefined();
    expect(cache.state().l1).toEqual({ entries: 2, bytes: entryBytes(text) * 2 });
  });

  it("does not keep a single entry larger than maxBytes", async () => {
    const { cache } = memoryCache({ maxBytes: 50 });
    await cache.set("big", { text: "x".repeat(100) });
    expect(await cache.get("big")).toBeUndefined();
    expect(cache.state().l1).toEqual({ entries: 0, bytes: 0 });
  });

  it("expires entries after ttlMs", async () => {
    useFakeClock();
    const { cache } = memoryCache({ ttlMs: 1_000 });
    await cache.set("k", { text: "hello" });
    await vi.advanceTimersByTimeAsync(999);
    expect((await cache.get("k"))?.tier).toBe("l1");
    await vi.advanceTimersByTimeAsync(2);
    expect(await cache.get("k")).toBeUndefined();
  });

  it("expires entries after 10 minutes by default", async () => {
    useFakeClock();
    const { cache } = memoryCache();
    await cache.set("k", { text: "hello" });
    await vi.advanceTimersByTimeAsync(10 * 60 * 1000 - 1);
    expect((await cache.get("k"))?.tier).toBe("l1");
    await vi.advanceTimersByTimeAsync(2);
    expect(await cache.get("k")).toBeUndefined();
  });

  it("treats a stored value failing the schema as a miss and drops it", async () => {
    const { cache, events } = memoryCache();
    // set does not validate: a value that cannot survive the JSON round trip must not be served.
    await cache.set("k", { text: 42 } as unknown as Answer);
    expect(await cache.get("k")).toBeUndefined();
    expect(cache.state().l1.entries).toBe(0);
    expect(events.events).toEqual([{ type: "miss" }]);
  });

  it("returns the schema's output, not the raw stored JSON", async () => {
    const { cache } = memoryCache();
    await cache.set("k", { text: "hi", extra: "dropped by the schema" } as Answer);
    expect((await cache.get("k"))?.value).toEqual({ text: "hi" });
  });

  it("keeps working when the event observer throws", async () => {
    const logs = createCapturedLogger();
    const cache = createResponseCache<Answer>({
      version: 1,
      schema: answer,
      logger: logs.logger,
      onEvent: () => {
        throw new Error("metrics exporter broke");
      },
    });
    await cache.set("k", { text: "hello" });
    expect((await cache.get("k"))?.value).toEqual({ text: "hello" });
    expect(logs.at("error")).toHaveLength(1);
  });

  it("names a bad Redis URL without quoting its password", () => {
    expect(() => memoryCache({ redisUrl: "redis://:s3cret@cache.internal:port" })).toThrow(
      "response cache option redisUrl must be a redis:// or rediss:// URL, got [unparseable redis url]",
    );
  });

  it.each([
    ["maxEntries", { maxEntries: 0 }],
    ["maxBytes", { maxBytes: -1 }],
    ["ttlMs", { ttlMs: 1.5 }],
    ["redisTimeoutMs", { redisTimeoutMs: Number.NaN }],
    ["version", { version: -1 }],
    ["redisUrl", { redisUrl: "http://cache.internal:6379" }],
  ])("refuses an invalid %s at creation", (name, bad) => {
    expect(() => memoryCache(bad)).toThrow(new RegExp(`option ${name} must be`));
  });
});
