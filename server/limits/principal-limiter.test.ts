import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LimitExceededError, type LimitName } from "../errors/limit-exceeded.js";
import type { LimitsPolicy, PrincipalLimits } from "./limits-policy.js";
import { createPrincipalLimiter, type LimitedPrincipal, type PrincipalLimiter } from "./principal-limiter.js";

// The limiter counting in memory (no Redis): each limit refuses what goes
// beyond it with a LimitExceededError, and gives back what a run or a model
// call did not use.

const none: PrincipalLimits = { requests_per_minute: 0, concurrent_runs: 0, tokens_per_day: 0, cost_usd_per_day: 0 };
const caller = (id: string): LimitedPrincipal => ({ id, roles: ["caller"] });

const limiters: PrincipalLimiter[] = [];

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((limiter) => limiter.close()));
});

/** A limiter in memory whose callers all have `limits` (unset ones: none), and principals their own. */
function limiterWith(limits: Partial<PrincipalLimits>, principals: LimitsPolicy["principals"] = {}): PrincipalLimiter {
  const limiter = createPrincipalLimiter({
    policy: { roles: { caller: { ...none, ...limits }, admin: none }, principals },
    redisUrl: undefined,
    logger: pino({ level: "silent" }),
  });
  limiters.push(limiter);
  return limiter;
}

/** The LimitExceededError `call` fails with; fails the test if it succeeds or fails otherwise. */
async function refusal(call: Promise<unknown>): Promise<LimitExceededError> {
  const outcome = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(LimitExceededError);
  return outcome as LimitExceededError;
}

function expectRefused(err: LimitExceededError, limit: LimitName, principal: string, allowed: number): void {
  expect({ limit: err.limit, principal: err.principal, allowed: err.allowed }).toEqual({ limit, principal, allowed });
  expect(err.message).toContain(limit);
}

describe("requests_per_minute", () => {
  it("admits N requests a minute and refuses the next, with a retry-after the minute's window gives", async () => {
    const limiter = limiterWith({ requests_per_minute: 3 });
    const ada = caller("ada");
    for (let i = 0; i < 3; i++) {
      await limiter.admitRequest(ada);
    }
    const err = await refusal(limiter.admitRequest(ada));
    expectRefused(err, "requests_per_minute", "ada", 3);
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(59_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
    // Still refused: a refusal is not a request that frees anything.
    await refusal(limiter.admitRequest(ada));
  });

  it("counts each principal on its own", async () => {
    const limiter = limiterWith({ requests_per_minute: 2 });
    await limiter.admitRequest(caller("ada"));
    await limiter.admitRequest(caller("ada"));
    await refusal(limiter.admitRequest(caller("ada")));
    await limiter.admitRequest(caller("bob"));
    await limiter.admitRequest(caller("bob"));
    expectRefused(await refusal(limiter.admitRequest(caller("bob"))), "requests_per_minute", "bob", 2);
  });

  it("applies a principal's own limit instead of its role's", async () => {
    const limiter = limiterWith({ requests_per_minute: 5 }, { ada: { requests_per_minute: 1 } });
    await limiter.admitRequest(caller("ada"));
    expectRefused(await refusal(limiter.admitRequest(caller("ada"))), "requests_per_minute", "ada", 1);
    for (let i = 0; i < 5; i++) {
      await limiter.admitRequest(caller("bob"));
    }
    await refusal(limiter.admitRequest(caller("bob")));
  });

  it("is unlimited at 0", async () => {
    const limiter = limiterWith({ requests_per_minute: 0 });
    for (let i = 0; i < 500; i++) {
      await limiter.admitRequest(caller("ada"));
    }
  });
});

describe("concurrent_runs", () => {
  it("holds for runs that last longer than any window (regression: a count expired after an hour, and twice the limit ran)", async () => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] });
    try {
      const runs = limiterWith({ concurrent_runs: 2 }).forRun(caller("ada"));
      const first = await runs.acquireRun();
      vi.advanceTimersByTime(30 * 60_000);
      const second = await runs.acquireRun();
      vi.advanceTimersByTime(31 * 60_000);
      expectRefused((await runs.acquireRun().catch((e: unknown) => e)) as LimitExceededError, "concurrent_runs", "ada", 2);
      first();
      second();
      const [third, fourth] = [await runs.acquireRun(), await runs.acquireRun()];
      expectRefused((await runs.acquireRun().catch((e: unknown) => e)) as LimitExceededError, "concurrent_runs", "ada", 2);
      third();
      fourth();
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a run beyond N, with a retry-after, and admits one again once a run is released", async () => {
    const runs = limiterWith({ concurrent_runs: 2 }).forRun(caller("ada"));
    await runs.acquireRun();
    const release = await runs.acquireRun();
    const err = await refusal(runs.acquireRun());
    expectRefused(err, "concurrent_runs", "ada", 2);
    expect(err.retryAfterMs).toBeGreaterThan(0);
    // A refused run took no place: still two runs, still refused.
    await refusal(runs.acquireRun());

    release();
    await runs.acquireRun();
    await refusal(runs.acquireRun());
  });

  it("frees one place when a run is released twice", async () => {
    const runs = limiterWith({ concurrent_runs: 2 }).forRun(caller("ada"));
    const first = await runs.acquireRun();
    await runs.acquireRun();
    first();
    first();
    await runs.acquireRun();
    await refusal(runs.acquireRun());
  });

  it("counts each principal on its own, across its runs' admissions", async () => {
    const limiter = limiterWith({ concurrent_runs: 1 });
    await limiter.forRun(caller("ada")).acquireRun();
    // Another admission of the same principal shares its count.
    await refusal(limiter.forRun(caller("ada")).acquireRun());
    await limiter.forRun(caller("bob")).acquireRun();
  });

  it("is unlimited at 0", async () => {
    const runs = limiterWith({ concurrent_runs: 0 }).forRun(caller("ada"));
    for (let i = 0; i < 200; i++) {
      await runs.acquireRun();
    }
  });
});

describe("tokens_per_day", () => {
  it("refuses a reservation beyond what is left, without spending the budget on it", async () => {
    const turns = limiterWith({ tokens_per_day: 100 }).forRun(caller("ada"));
    await turns.reserveTurn(60);
    const err = await refusal(turns.reserveTurn(50));
    expectRefused(err, "tokens_per_day", "ada", 100);
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(24 * 60 * 60 * 1000);
    // The refused 50 were given back: the 40 that are left can be reserved, and no more.
    await turns.reserveTurn(40);
    await refusal(turns.reserveTurn(1));
  });

  it("gives back what a settled call used less than it reserved", async () => {
    const turns = limiterWith({ tokens_per_day: 100 }).forRun(caller("ada"));
    (await turns.reserveTurn(60)).settle({ tokens: 20, costUsd: 0 });
    // 20 spent: 80 left.
    await turns.reserveTurn(80);
    await refusal(turns.reserveTurn(1));
  });

  it("charges what a settled call used beyond what it reserved", async () => {
    const turns = limiterWith({ tokens_per_day: 100 }).forRun(caller("ada"));
    (await turns.reserveTurn(10)).settle({ tokens: 30, costUsd: 0 });
    // 30 spent: 70 left.
    await refusal(turns.reserveTurn(71));
    await turns.reserveTurn(70);
    await refusal(turns.reserveTurn(1));
  });

  it("gives all of a released reservation back", async () => {
    const turns = limiterWith({ tokens_per_day: 100 }).forRun(caller("ada"));
    (await turns.reserveTurn(100)).release();
    await turns.reserveTurn(100);
    await refusal(turns.reserveTurn(1));
  });

  it("settles or releases a ticket once: a second settle or release changes nothing", async () => {
    const turns = limiterWith({ tokens_per_day: 100 }).forRun(caller("ada"));
    const ticket = await turns.reserveTurn(50);
    ticket.settle({ tokens: 50, costUsd: 0 });
    ticket.release();
    ticket.settle({ tokens: 0, costUsd: 0 });
    // 50 spent, none given back.
    await turns.reserveTurn(50);
    await refusal(turns.reserveTurn(1));
  });

  it("is one budget per principal, across its runs, and none for another principal's", async () => {
    const limiter = limiterWith({ tokens_per_day: 100 });
    (await limiter.forRun(caller("ada")).reserveTurn(70)).settle({ tokens: 70, costUsd: 0 });
    await refusal(limiter.forRun(caller("ada")).reserveTurn(31));
    await limiter.forRun(caller("bob")).reserveTurn(100);
  });
});

describe("cost_usd_per_day", () => {
  it("refuses the next model call once settled costs reach the budget", async () => {
    const turns = limiterWith({ cost_usd_per_day: 0.01 }).forRun(caller("ada"));
    (await turns.reserveTurn(10)).settle({ tokens: 10, costUsd: 0.004 });
    // Under the budget: another call may go.
    (await turns.reserveTurn(10)).settle({ tokens: 10, costUsd: 0.006 });
    const err = await refusal(turns.reserveTurn(10));
    expectRefused(err, "cost_usd_per_day", "ada", 0.01);
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(24 * 60 * 60 * 1000);
  });

  it("charges nothing for a released call, and only its own principal", async () => {
    const limiter = limiterWith({ cost_usd_per_day: 0.01 });
    const turns = limiter.forRun(caller("ada"));
    (await turns.reserveTurn(10)).settle({ tokens: 10, costUsd: 0.009 });
    (await turns.reserveTurn(10)).release();
    (await turns.reserveTurn(10)).settle({ tokens: 10, costUsd: 0.001 });
    await refusal(turns.reserveTurn(10));
    // Another principal has a budget of its own.
    await limiter.forRun(caller("bob")).reserveTurn(10);
  });
});
