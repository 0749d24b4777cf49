import { describe, expect, it } from "vitest";
import { createRunLimiter, isRunCapacityError } from "./run-limiter.js";

const never = new AbortController().signal;

describe("run limiter", () => {
  it("runs up to the limit at once and queues the rest in order", async () => {
    const limiter = createRunLimiter({ maxConcurrent: 2, maxQueued: 5 });
    const first = await limiter.acquire(never);
    const second = await limiter.acquire(never);
    const order: string[] = [];
    const third = limiter.acquire(never).then((release) => (order.push("third"), release));
    const fourth = limiter.acquire(never).then((release) => (order.push("fourth"), release));
    expect([limiter.inFlight(), limiter.queued()]).toEqual([2, 2]);

    first();
    (await third)();
    second();
    (await fourth)();
    expect(order).toEqual(["third", "fourth"]);
    expect([limiter.inFlight(), limiter.queued()]).toEqual([0, 0]);
  });

  it("refuses a run when the queue is full", async () => {
    const limiter = createRunLimiter({ maxConcurrent: 1, maxQueued: 1 });
    await limiter.acquire(never);
    void limiter.acquire(never);
    const refused = await limiter.acquire(never).catch((e: unknown) => e);
    expect(isRunCapacityError(refused)).toBe(true);
    expect((refused as Error).message).toBe("the server is at capacity (1 runs in flight, 1 waiting); retry with backoff");
  });

  it("takes a waiter that gives up out of the queue", async () => {
    const limiter = createRunLimiter({ maxConcurrent: 1, maxQueued: 5 });
    const release = await limiter.acquire(never);
    const caller = new AbortController();
    const waiting = limiter.acquire(caller.signal);
    caller.abort(new Error("deadline"));
    await expect(waiting).rejects.toThrow("deadline");
    expect(limiter.queued()).toBe(0);
    release();
    expect(limiter.inFlight()).toBe(0);
  });

  it("frees a slot only once, however often release is called", async () => {
    const limiter = createRunLimiter({ maxConcurrent: 1, maxQueued: 0 });
    const release = await limiter.acquire(never);
    release();
    release();
    await limiter.acquire(never);
    expect(limiter.inFlight()).toBe(1);
  });
});
