import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createCapturedLogger, type CapturedLogger } from "../../../test/support/captured-logger.js";
import { startTcpProxy, type TcpProxy } from "../../../test/support/tcp-proxy.js";
import { createResponseCache, isRedisTimeoutError, type ResponseCache } from "./index.js";
import { createEventLog, l2State, type EventLog } from "./testing/event-log.js";
import { connectTestRedis, testRedisAddress, uniqueKeyPrefix, viaProxy, type TestRedis } from "./testing/test-redis.js";

const answer = z.object({ text: z.string() });
type Answer = z.infer<typeof answer>;

const redisTimeoutMs = 100;
const keyPrefix = uniqueKeyPrefix();
const entry = (text: string) => JSON.stringify({ v: 1, value: { text } });

let redis: TestRedis;
let proxy: TcpProxy;
let cache: ResponseCache<Answer>;
let events: EventLog;
let logs: CapturedLogger;

beforeAll(async () => {
  redis = await connectTestRedis();
});

afterAll(async () => {
  await redis.deleteKeys(keyPrefix);
  await redis.close();
});

beforeEach(async () => {
  proxy = await startTcpProxy(testRedisAddress());
  events = createEventLog();
  logs = createCapturedLogger();
  cache = createResponseCache<Answer>({
    version: 1,
    schema: answer,
    redisUrl: viaProxy(proxy.port),
    keyPrefix,
    redisTimeoutMs,
    logger: logs.logger,
    onEvent: events.onEvent,
  });
  await events.next(l2State("ready"));
});

afterEach(async () => {
  await cache.close();
  await proxy.close();
});

const warnings = () => logs.at("warn");

describe("response cache when Redis goes away", () => {
  it("serves from memory without failing a caller, warns once, and recovers by itself", async () => {
    proxy.cut();
    await events.next(l2State("degraded"));
    expect(cache.state().l2).toBe("degraded");

    // Several calls of every kind while Redis is gone: none rejects.
    await cache.set("cut-a", { text: "kept in memory" });
    expect(await cache.get("cut-a")).toEqual({ value: { text: "kept in memory" }, tier: "l1" });
    expect(await cache.get("cut-missing")).toBeUndefined();
    expect(await cache.getOrCompute("cut-b", async () => ({ text: "computed" }))).toEqual({ value: { text: "computed" }, source: "computed" });
    expect(await cache.getOrCompute("cut-b", async () => ({ text: "again" }))).toEqual({ value: { text: "computed" }, source: "l1" });
    await cache.set("cut-c", { text: "also in memory" });

    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.["msg"]).toBe("response cache: redis unavailable, serving from memory only");
    expect(events.count(l2State("degraded"))).toBe(1);

    proxy.restore();
    await events.next(l2State("ready"));
    expect(cache.state().l2).toBe("ready");
    expect(logs.at("info").map((line) => line["msg"])).toContain("response cache: redis available again");

    // Redis is used again, for writes and for reads.
    await cache.set("restored-write", { text: "in redis" });
    expect(await redis.client.get(`${keyPrefix}restored-write`)).toBe(entry("in redis"));
    await redis.client.set(`${keyPrefix}restored-read`, entry("from redis"), "PX", 60_000);
    expect(await cache.get("restored-read")).toEqual({ value: { text: "from redis" }, tier: "l2" });

    expect(warnings()).toHaveLength(1);
    expect(events.count(l2State("degraded"))).toBe(1);
  });

  it("warns again only after a recovery, once per outage", async () => {
    for (const outage of [1, 2]) {
      proxy.cut();
      await events.next(l2State("degraded"));
      await cache.set(`outage-${outage}`, { text: "memory" });
      proxy.restore();
      await events.next(l2State("ready"));
    }
    expect(warnings()).toHaveLength(2);
  });
});

describe("response cache when Redis stalls", () => {
  it("answers a read as a miss within redisTimeoutMs", async () => {
    await redis.client.set(`${keyPrefix}stalled`, entry("unreachable"), "PX", 60_000);
    proxy.stall();

    const started = performance.now();
    const result = await cache.get("stalled");
    const elapsed = performance.now() - started;

    expect(result).toBeUndefined();
    expect(elapsed).toBeGreaterThanOrEqual(redisTimeoutMs - 1);
    // Bounded by the timeout, with room for a busy machine; without the
    // timeout the call would wait for as long as Redis stalls.
    expect(elapsed).toBeLessThan(redisTimeoutMs * 5);
    const errors = events.events.filter((e) => e.type === "l2-error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.type === "l2-error" && errors[0].operation === "get" && isRedisTimeoutError(errors[0].error)).toBe(true);
    expect(cache.state().l2).toBe("degraded");
  });

  it("stops sending to a stalled Redis after one timeout, and recovers when it answers again", async () => {
    await redis.client.set(`${keyPrefix}stall-recovery`, entry("in redis"), "PX", 60_000);
    proxy.stall();
    expect(await cache.get("stall-recovery")).toBeUndefined();
    await events.next(l2State("degraded"));

    // While the first command is still unanswered, calls skip Redis at once.
    await cache.set("stall-write", { text: "memory only" });
    expect(await cache.get("stall-recovery")).toBeUndefined();
    expect(await cache.getOrCompute("stall-compute", async () => ({ text: "computed" }))).toEqual({
      value: { text: "computed" },
      source: "computed",
    });
    expect(events.count((e) => e.type === "l2-error")).toBe(1);
    expect(warnings()).toHaveLength(1);

    proxy.restore();
    await events.next(l2State("ready"));
    expect(await cache.get("stall-recovery")).toEqual({ value: { text: "in redis" }, tier: "l2" });
    expect(warnings()).toHaveLength(1);
  });
});
