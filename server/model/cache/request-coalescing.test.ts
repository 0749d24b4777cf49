import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createCapturedLogger } from "../../../test/support/captured-logger.js";
import { createResponseCache } from "./index.js";
import { createEventLog } from "./testing/event-log.js";

const answer = z.object({ text: z.string() });
type Answer = z.infer<typeof answer>;

function memoryCache() {
  const events = createEventLog();
  const cache = createResponseCache<Answer>({ version: 1, schema: answer, logger: createCapturedLogger().logger, onEvent: events.onEvent });
  return { cache, events };
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every promise callback already queued run; no timer, no I/O is waited for. */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A computation the test finishes by hand, recording each call and the signal it got. */
function controlledCompute() {
  const result = deferred<Answer>();
  const signals: AbortSignal[] = [];
  const started = deferred<undefined>();
  const compute = (signal: AbortSignal) => {
    signals.push(signal);
    started.resolve(undefined);
    return result.promise;
  };
  return { compute, signals, started: started.promise, result };
}

describe("getOrCompute coalescing", () => {
  it("computes once for 50 concurrent callers and gives every one the value", async () => {
    const { cache, events } = memoryCache();
    const { compute, signals, started, result } = controlledCompute();
    const calls = Array.from({ length: 50 }, () => cache.getOrCompute("k", compute));
    await started;
    result.resolve({ text: "shared" });
    const outcomes = await Promise.all(calls);

    expect(signals).toHaveLength(1);
    expect(outcomes.every((o) => o.value.text === "shared")).toBe(true);
    expect(outcomes.filter((o) => o.source === "computed")).toHaveLength(1);
    expect(outcomes.filter((o) => o.source === "coalesced")).toHaveLength(49);
    expect(events.count((e) => e.type === "miss")).toBe(1);
    expect(events.count((e) => e.type === "coalesced")).toBe(49);
    expect(await cache.getOrCompute("k", compute)).toEqual({ value: { text: "shared" }, source: "l1" });
    expect(signals).toHaveLength(1);
  });

  it("computes separately for different keys", async () => {
    const { cache } = memoryCache();
    const computed: string[] = [];
    const compute = (text: string) => async () => {
      computed.push(text);
      return { text };
    };
    const [a, b] = await Promise.all([cache.getOrCompute("a", compute("a")), cache.getOrCompute("b", compute("b"))]);
    expect([a.value.text, b.value.text]).toEqual(["a", "b"]);
    expect(computed).toEqual(["a", "b"]);
  });

  it("rejects every waiter when the computation fails, and stores nothing", async () => {
    const { cache } = memoryCache();
    const { compute, started, result } = controlledCompute();
    const calls = Array.from({ length: 5 }, () => cache.getOrCompute("k", compute));
    await started;
    const failure = new Error("model unavailable");
    result.reject(failure);
    const outcomes = await Promise.allSettled(calls);

    expect(outcomes.every((o) => o.status === "rejected" && o.reason === failure)).toBe(true);
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.getOrCompute("k", async () => ({ text: "retried" }))).toEqual({ value: { text: "retried" }, source: "computed" });
  });

  it("returns an unstored value to every waiter when shouldStore declines it", async () => {
    const { cache } = memoryCache();
    const { compute, started, result } = controlledCompute();
    const shouldStore = (value: Answer) => value.text !== "truncated";
    const calls = [cache.getOrCompute("k", compute, { shouldStore }), cache.getOrCompute("k", compute, { shouldStore })];
    await started;
    result.resolve({ text: "truncated" });

    expect((await Promise.all(calls)).map((o) => o.value.text)).toEqual(["truncated", "truncated"]);
    expect(await cache.get("k")).toBeUndefined();
  });

  it("rejects only the waiter whose signal aborts, and finishes the computation for the others", async () => {
    const { cache } = memoryCache();
    const { compute, signals, started, result } = controlledCompute();
    const leaving = new AbortController();
    const first = cache.getOrCompute("k", compute);
    const second = cache.getOrCompute("k", compute, { signal: leaving.signal });
    const third = cache.getOrCompute("k", compute, { signal: new AbortController().signal });
    await started;

    const reason = new Error("caller went away");
    leaving.abort(reason);
    await expect(second).rejects.toBe(reason);
    expect(signals[0]?.aborted).toBe(false);

    result.resolve({ text: "done" });
    expect(await first).toEqual({ value: { text: "done" }, source: "computed" });
    expect(await third).toEqual({ value: { text: "done" }, source: "coalesced" });
    expect((await cache.get("k"))?.tier).toBe("l1");
  });

  it("aborts the computation when every waiter has aborted, stores nothing, and starts afresh for the next caller", async () => {
    const { cache } = memoryCache();
    const { compute, signals, started, result } = controlledCompute();
    const waiters = [new AbortController(), new AbortController()];
    const calls = waiters.map((w) => cache.getOrCompute("k", compute, { signal: w.signal }));
    await started;

    waiters[0]?.abort(new Error("first left"));
    expect(signals[0]?.aborted).toBe(false);
    const last = new Error("last left");
    waiters[1]?.abort(last);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBe(last);
    await expect(Promise.all(calls)).rejects.toThrow("first left");

    // A computation that ignores its signal and still returns is not stored:
    // nobody was waiting for it, and it may be partial.
    result.resolve({ text: "late" });
    await drainMicrotasks();
    expect(await cache.get("k")).toBeUndefined();
    const next = await cache.getOrCompute("k", async () => ({ text: "fresh" }));
    expect(next).toEqual({ value: { text: "fresh" }, source: "computed" });
  });

  it("rejects at once, computing nothing, when the caller's signal is already aborted", async () => {
    const { cache } = memoryCache();
    const reason = new Error("deadline exceeded");
    let computed = false;
    const call = cache.getOrCompute(
      "k",
      async () => {
        computed = true;
        return { text: "never" };
      },
      { signal: AbortSignal.abort(reason) },
    );
    await expect(call).rejects.toBe(reason);
    expect(computed).toBe(false);
  });

  it("answers from memory without computing when the value is cached", async () => {
    const { cache, events } = memoryCache();
    await cache.set("k", { text: "cached" });
    const result = await cache.getOrCompute("k", () => Promise.reject(new Error("must not compute")));
    expect(result).toEqual({ value: { text: "cached" }, source: "l1" });
    expect(events.events).toEqual([{ type: "hit", tier: "l1" }]);
  });

  it("rejects every waiter when compute throws before returning a promise", async () => {
    const { cache } = memoryCache();
    const compute = (): Promise<Answer> => {
      throw new Error("bad request");
    };
    const calls = [cache.getOrCompute("k", compute), cache.getOrCompute("k", compute)];
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
  });
});
