import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCapturedLogger } from "../../test/support/captured-logger.js";
import { startTcpProxy, type TcpProxy } from "../../test/support/tcp-proxy.js";
import { LimitExceededError } from "../errors/limit-exceeded.js";
import { connectTestRedis, testRedisAddress, viaProxy, type TestRedis } from "../model/cache/testing/test-redis.js";
import type { PrincipalLimits } from "./limits-policy.js";
import { createPrincipalLimiter, type LimitedPrincipal, type PrincipalLimiter } from "./principal-limiter.js";

// Two limiters, as two replicas, sharing the real Redis through a proxy the
// test can cut: they share a principal's requests per minute; while Redis is
// gone each answers at once from its in-memory insurance limiter, which still
// counts; once Redis is back the count is shared again.

const requestsPerMinute = 4;
const none: PrincipalLimits = { requests_per_minute: 0, concurrent_runs: 0, tokens_per_day: 0, cost_usd_per_day: 0 };
// Longer than the default 100 ms so that a busy test machine never times out a Redis that answers:
// a call that timed out would be counted in memory and in Redis both.
const redisTimeoutMs = 500;
// What a call may take when Redis is gone: the timeout, with room for a busy machine.
const boundMs = 2_000;
// Keys of their own, per run of the suite, deleted afterwards.
const keyPrefix = `agent:limits:test:${randomUUID()}`;

let redis: TestRedis;
let proxy: TcpProxy;
let replicas: [PrincipalLimiter, PrincipalLimiter];

beforeAll(async () => {
  redis = await connectTestRedis();
});

afterAll(async () => {
  await redis.deleteKeys(keyPrefix);
  await redis.close();
});

beforeEach(async () => {
  proxy = await startTcpProxy(testRedisAddress());
  const replica = () =>
    createPrincipalLimiter({
      policy: { roles: { caller: { ...none, requests_per_minute: requestsPerMinute }, admin: none }, principals: {} },
      redisUrl: viaProxy(proxy.port),
      logger: createCapturedLogger().logger,
      redisTimeoutMs,
      keyPrefix,
    });
  replicas = [replica(), replica()];
  await Promise.all(replicas.map((replica) => untilCountingInRedis(replica)));
});

afterEach(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
  await proxy.close();
});

/** A principal of its own: counters in Redis last their minute, past this test. */
const newPrincipal = (): LimitedPrincipal => ({ id: `svc-${randomUUID()}`, roles: ["caller"] });

/** The Redis key of a principal's requests per minute. */
const redisKey = (principal: LimitedPrincipal) => `${keyPrefix}:requests_per_minute:${requestsPerMinute}:${principal.id}`;

/**
 * Waits until `replica`'s requests reach Redis (its connection is ready):
 * before that, or while it reconnects, it counts in memory. A request of a
 * principal of its own at a time, until Redis has counted one.
 */
async function untilCountingInRedis(replica: PrincipalLimiter): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = newPrincipal();
    await replica.admitRequest(probe);
    if ((await redis.client.get(redisKey(probe))) === "1") {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error("the limiter never reached Redis through the proxy");
    }
    await sleep(25);
  }
}

interface Outcome {
  readonly admitted: boolean;
  readonly error: unknown;
  readonly ms: number;
}

/** One request through `replica`: admitted, or the error it was refused with, and how long it took. */
async function request(replica: PrincipalLimiter, principal: LimitedPrincipal): Promise<Outcome> {
  const started = performance.now();
  const error = await replica.admitRequest(principal).then(
    () => undefined,
    (err: unknown) => err ?? new Error("rejected without a reason"),
  );
  return { admitted: error === undefined, error, ms: performance.now() - started };
}

/** The replicas in turn: the first for an even `i`, the second for an odd one. */
const replicaAt = (i: number): PrincipalLimiter => (i % 2 === 0 ? replicas[0] : replicas[1]);

/** `count` requests, one at a time, alternating between the replicas starting with `first`. */
async function alternating(principal: LimitedPrincipal, count: number, first: 0 | 1 = 0): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < count; i++) {
    outcomes.push(await request(replicaAt(i + first), principal));
  }
  return outcomes;
}

function expectRefusedForRate(outcome: Outcome | undefined, principal: LimitedPrincipal): void {
  expect(outcome?.admitted).toBe(false);
  const err = outcome?.error;
  expect(err).toBeInstanceOf(LimitExceededError);
  expect({ limit: (err as LimitExceededError).limit, principal: (err as LimitExceededError).principal }).toEqual({
    limit: "requests_per_minute",
    principal: principal.id,
  });
}

describe("two replicas on one Redis", () => {
  it("share a principal's requests per minute: the requests of both add up to the limit", async () => {
    const principal = newPrincipal();
    const outcomes = await alternating(principal, requestsPerMinute + 2);
    expect(outcomes.slice(0, requestsPerMinute).every((outcome) => outcome.admitted)).toBe(true);
    // Each replica saw only half the limit's requests, and refuses the next.
    for (const refused of outcomes.slice(requestsPerMinute)) {
      expectRefusedForRate(refused, principal);
      const { retryAfterMs } = refused.error as LimitExceededError;
      expect(retryAfterMs).toBeGreaterThan(50_000);
      expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    expect(await redis.client.get(redisKey(principal))).toBe(String(requestsPerMinute));
  });

  it("keep another principal's count apart", async () => {
    const limited = newPrincipal();
    await alternating(limited, requestsPerMinute);
    expectRefusedForRate(await request(replicas[1], limited), limited);
    const other = newPrincipal();
    expect((await alternating(other, requestsPerMinute, 1)).every((outcome) => outcome.admitted)).toBe(true);
  });
});

describe("when Redis is cut off", () => {
  it("answer within the timeout, each counting in memory, and share the count again once it is back", async () => {
    proxy.cut();

    // Each replica answers every call, none slowly, and refuses only beyond the limit, counted on its own.
    const cut = newPrincipal();
    for (const replica of replicas) {
      const outcomes: Outcome[] = [];
      for (let i = 0; i <= requestsPerMinute; i++) {
        outcomes.push(await request(replica, cut));
      }
      for (const outcome of outcomes) {
        expect(outcome.ms).toBeLessThan(boundMs);
      }
      expect(outcomes.slice(0, requestsPerMinute).map((outcome) => outcome.admitted)).toEqual(Array(requestsPerMinute).fill(true));
      expectRefusedForRate(outcomes[requestsPerMinute], cut);
    }
    // None of it reached Redis.
    expect(await redis.client.get(redisKey(cut))).toBeNull();

    proxy.restore();
    await Promise.all(replicas.map((replica) => untilCountingInRedis(replica)));

    const restored = newPrincipal();
    const outcomes = await alternating(restored, requestsPerMinute + 2, 1);
    expect(outcomes.slice(0, requestsPerMinute).every((outcome) => outcome.admitted)).toBe(true);
    for (const refused of outcomes.slice(requestsPerMinute)) {
      expectRefusedForRate(refused, restored);
    }
    expect(await redis.client.get(redisKey(restored))).toBe(String(requestsPerMinute));
  });

  it("answer many calls at once without one hanging or failing otherwise", async () => {
    proxy.cut();
    const principal = newPrincipal();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => request(replicaAt(i), principal)));
    for (const outcome of outcomes) {
      expect(outcome.ms).toBeLessThan(boundMs);
      if (!outcome.admitted) {
        expectRefusedForRate(outcome, principal);
      }
    }
    // Each replica admitted its own limit's worth, from memory.
    expect(outcomes.filter((outcome) => outcome.admitted)).toHaveLength(2 * requestsPerMinute);
  });
});

describe("when Redis stops answering", () => {
  it("answer within the timeout from memory, and share the count again once it answers", async () => {
    proxy.stall();
    const stalled = newPrincipal();
    // At once: each call waits for the timeout before it is counted in memory.
    const outcomes = await Promise.all(Array.from({ length: 2 * requestsPerMinute + 2 }, (_, i) => request(replicaAt(i), stalled)));
    for (const outcome of outcomes) {
      expect(outcome.ms).toBeLessThan(boundMs);
      if (!outcome.admitted) {
        expectRefusedForRate(outcome, stalled);
      }
    }
    // Each replica counted its own calls in memory: its limit's worth admitted, the next refused.
    expect(outcomes.filter((outcome) => outcome.admitted)).toHaveLength(2 * requestsPerMinute);

    proxy.restore();
    await Promise.all(replicas.map((replica) => untilCountingInRedis(replica)));
    const restored = newPrincipal();
    const shared = await alternating(restored, requestsPerMinute + 1);
    expect(shared.slice(0, requestsPerMinute).every((outcome) => outcome.admitted)).toBe(true);
    expectRefusedForRate(shared[requestsPerMinute], restored);
  });
});
