import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createCapturedLogger } from "../../../test/support/captured-logger.js";
import { createResponseCache, type ResponseCache, type ResponseCacheOptions } from "./index.js";
import { createEventLog, l2State, type EventLog } from "./testing/event-log.js";
import { connectTestRedis, testRedisUrl, uniqueKeyPrefix, type TestRedis } from "./testing/test-redis.js";

const answer = z.object({ text: z.string() });
type Answer = z.infer<typeof answer>;

let redis: TestRedis;
const keyPrefix = uniqueKeyPrefix();
const open: ResponseCache<Answer>[] = [];

beforeAll(async () => {
  redis = await connectTestRedis();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((cache) => cache.close()));
});

afterAll(async () => {
  await redis.deleteKeys(keyPrefix);
  await redis.close();
});

/** A cache on the shared test Redis, resolved once its connection is ready. */
async function redisCache(options: Partial<ResponseCacheOptions<Answer>> = {}): Promise<{ cache: ResponseCache<Answer>; events: EventLog }> {
  const events = createEventLog();
  const cache = createResponseCache<Answer>({
    version: 1,
    schema: answer,
    redisUrl: testRedisUrl,
    keyPrefix,
    // Generous: these tests are about what Redis holds, not about its speed.
    redisTimeoutMs: 2_000,
    logger: createCapturedLogger().logger,
    onEvent: events.onEvent,
    ...options,
  });
  open.push(cache);
  await events.next(l2State("ready"));
  return { cache, events };
}

describe("response cache with Redis", () => {
  it("serves from Redis what another instance stored, then from memory", async () => {
    const writer = await redisCache();
    const reader = await redisCache();
    await writer.cache.set("shared", { text: "from the writer" });

    expect(await reader.cache.get("shared")).toEqual({ value: { text: "from the writer" }, tier: "l2" });
    expect(await reader.cache.get("shared")).toEqual({ value: { text: "from the writer" }, tier: "l1" });
    expect(reader.events.count((e) => e.type === "hit" && e.tier === "l2")).toBe(1);
    expect(reader.cache.state()).toEqual({ l1: { entries: 1, bytes: expect.any(Number) as number }, l2: "ready" });
  });

  it("stores the versioned envelope with the TTL as PX", async () => {
    const { cache } = await redisCache({ ttlMs: 60_000 });
    await cache.set("envelope", { text: "hi" });

    expect(JSON.parse((await redis.client.get(`${keyPrefix}envelope`)) ?? "null")).toEqual({ v: 1, value: { text: "hi" } });
    const ttl = await redis.client.pttl(`${keyPrefix}envelope`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("answers getOrCompute from Redis without computing when another instance computed it", async () => {
    const first = await redisCache();
    const second = await redisCache();
    expect((await first.cache.getOrCompute("computed-once", async () => ({ text: "computed" }))).source).toBe("computed");

    const result = await second.cache.getOrCompute("computed-once", () => Promise.reject(new Error("must not compute")));
    expect(result).toEqual({ value: { text: "computed" }, source: "l2" });
  });

  it.each([
    ["another format version", JSON.stringify({ v: 0, value: { text: "old format" } })],
    ["a value failing the schema", JSON.stringify({ v: 1, value: { words: ["not", "an", "answer"] } })],
    ["text that is not JSON", "{truncated"],
  ])("treats %s in Redis as a miss and deletes it", async (_case, stored) => {
    const key = `unusable-${_case.replaceAll(" ", "-")}`;
    await redis.client.set(`${keyPrefix}${key}`, stored, "PX", 60_000);
    const { cache, events } = await redisCache();

    expect(await cache.get(key)).toBeUndefined();
    expect(events.events.filter((e) => e.type !== "l2-state")).toEqual([{ type: "miss" }]);
    // The delete is best effort and not awaited by get; one more command on
    // the same connection is answered only after it.
    await cache.get("anything-after-the-delete");
    expect(await redis.client.exists(`${keyPrefix}${key}`)).toBe(0);
  });

  it("reports Redis as ready once connected, logging it once at info", async () => {
    const logs = createCapturedLogger();
    const { cache } = await redisCache({ logger: logs.logger });
    expect(cache.state().l2).toBe("ready");
    expect(logs.at("info").map((line) => line["msg"])).toEqual(["response cache: redis connected"]);
    expect(logs.lines.filter((line) => line["level"] === "warn")).toEqual([]);
  });
});
