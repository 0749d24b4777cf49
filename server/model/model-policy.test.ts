import { isBrokenCircuitError } from "cockatiel";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AttemptTimeoutError } from "./attempt-signal.js";
import { MidStreamError } from "./model-call-errors.js";
import { createModelPolicy, type ModelPolicyEvent } from "./model-policy.js";

const httpError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`${status} status code`), { status, headers: new Headers(headers) });

/** A call that fails with each given error in turn, then answers "ok". */
function scripted(...failures: unknown[]) {
  const attempts: number[] = [];
  const fn = vi.fn(async ({ attempt }: { attempt: number }) => {
    attempts.push(attempt);
    const failure = failures.shift();
    if (failure !== undefined) {
      throw failure;
    }
    return "ok";
  });
  return { fn, attempts };
}

const never = new AbortController().signal;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("model policy: retries", () => {
  it("retries a 503 with full-jitter exponential backoff, counting attempts from 1", async () => {
    const policy = createModelPolicy({ initialBackoffMs: 100 }, { random: () => 0.5 });
    const events: ModelPolicyEvent[] = [];
    policy.subscribe((e) => events.push(e));
    const { fn, attempts } = scripted(httpError(503), httpError(503));
    const result = policy.execute(fn, never);
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(49);
    expect(attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1); // 0.5 × 100 ms
    expect(attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(100); // 0.5 × 200 ms
    await expect(result).resolves.toBe("ok");
    expect(attempts).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.type === "retry").map((e) => e.type === "retry" && e.delayMs)).toEqual([50, 100]);
  });

  it("waits as long as Retry-After asks on a 429", async () => {
    const policy = createModelPolicy({}, { random: () => 0 });
    const { fn, attempts } = scripted(httpError(429, { "retry-after": "1" }));
    const result = policy.execute(fn, never);
    await vi.advanceTimersByTimeAsync(999);
    expect(attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe("ok");
    expect(attempts).toEqual([1, 2]);
  });

  it("prefers retry-after-ms and caps what it honours", async () => {
    const policy = createModelPolicy({ retryAfterCapMs: 2_000 });
    const first = scripted(httpError(503, { "retry-after-ms": "300", "retry-after": "9" }));
    const a = policy.execute(first.fn, never);
    await vi.advanceTimersByTimeAsync(300);
    await expect(a).resolves.toBe("ok");

    const second = scripted(httpError(429, { "retry-after": "3600" }));
    const b = policy.execute(second.fn, never);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(b).resolves.toBe("ok");
  });

  it("gives up after maxRetries and rejects with the last error", async () => {
    const policy = createModelPolicy({ maxRetries: 1 }, { random: () => 0 });
    const { fn, attempts } = scripted(httpError(500), httpError(502));
    const result = policy.execute(fn, never);
    const assertion = expect(result).rejects.toMatchObject({ status: 502 });
    await vi.advanceTimersByTimeAsync(0);
    await assertion;
    expect(attempts).toEqual([1, 2]);
  });

  it.each([400, 401, 403, 404, 422])("never retries a %i", async (status) => {
    const policy = createModelPolicy();
    const { fn, attempts } = scripted(httpError(status));
    await expect(policy.execute(fn, never)).rejects.toMatchObject({ status });
    expect(attempts).toEqual([1]);
  });

  it("times out a hung attempt and retries it", async () => {
    const policy = createModelPolicy({ attemptTimeoutMs: 1_000 }, { random: () => 0 });
    let calls = 0;
    const result = policy.execute(async ({ signal }) => {
      calls++;
      if (calls === 1) {
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
      }
      return "second";
    }, never);
    // The timeout at 1,000 ms, then the retry's zero backoff timer.
    await vi.advanceTimersByTimeAsync(1_001);
    await expect(result).resolves.toBe("second");
    expect(calls).toBe(2);
  });

  it("does not retry a failure after text was streamed", async () => {
    const policy = createModelPolicy();
    const { fn, attempts } = scripted(new MidStreamError(new Error("reset")));
    await expect(policy.execute(fn, never)).rejects.toBeInstanceOf(MidStreamError);
    expect(attempts).toEqual([1]);
  });
});

describe("model policy: circuit breaker", () => {
  const failingOnce = (error: unknown) => async () => {
    throw error;
  };

  it("opens after consecutive faults, skips calls while open, probes after the cool-down and closes on success", async () => {
    const policy = createModelPolicy({ maxRetries: 0, breakerThreshold: 3, breakerHalfOpenAfterMs: 10_000 });
    const states: string[] = [];
    policy.subscribe((e) => e.type === "breaker" && states.push(e.state));
    for (let i = 0; i < 3; i++) {
      await expect(policy.execute(failingOnce(httpError(503)), never)).rejects.toMatchObject({ status: 503 });
    }
    expect(policy.breakerState()).toBe("open");

    const skipped = vi.fn(async () => "never called");
    const rejected = await policy.execute(skipped, never).catch((e: unknown) => e);
    expect(isBrokenCircuitError(rejected)).toBe(true);
    expect(skipped).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(10_000);
    const probe = vi.fn(async () => "healthy");
    await expect(policy.execute(probe, never)).resolves.toBe("healthy");
    expect(probe).toHaveBeenCalledTimes(1);
    expect(policy.breakerState()).toBe("closed");
    expect(states).toEqual(["open", "half-open", "closed"]);
  });

  it("reopens when the probe fails", async () => {
    const policy = createModelPolicy({ maxRetries: 0, breakerThreshold: 1, breakerHalfOpenAfterMs: 1_000 });
    await expect(policy.execute(failingOnce(httpError(500)), never)).rejects.toBeDefined();
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(policy.execute(failingOnce(httpError(500)), never)).rejects.toMatchObject({ status: 500 });
    expect(policy.breakerState()).toBe("open");
  });

  it("counts timeouts and mid-stream failures, but not client errors", async () => {
    const policy = createModelPolicy({ maxRetries: 0, breakerThreshold: 2 });
    for (let i = 0; i < 5; i++) {
      await expect(policy.execute(failingOnce(httpError(400)), never)).rejects.toBeDefined();
    }
    expect(policy.breakerState()).toBe("closed");
    await expect(policy.execute(failingOnce(new MidStreamError(new Error("cut"))), never)).rejects.toBeDefined();
    await expect(policy.execute(failingOnce(new AttemptTimeoutError(5)), never)).rejects.toBeDefined();
    expect(policy.breakerState()).toBe("open");
  });

  it("never counts a caller who went away against the model", async () => {
    const policy = createModelPolicy({ maxRetries: 3, breakerThreshold: 2 });
    for (let i = 0; i < 4; i++) {
      const caller = new AbortController();
      const call = policy.execute(
        ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
        caller.signal,
      );
      caller.abort(new Error("caller went away"));
      await expect(call).rejects.toThrow("caller went away");
    }
    expect(policy.breakerState()).toBe("closed");
  });

  it("opens on an error rate over the sampling window when configured so", async () => {
    const policy = createModelPolicy({
      maxRetries: 0,
      breakerErrorRate: 0.5,
      breakerSamplingMs: 5_000,
      breakerMinimumRps: 1,
    });
    const ok = async () => "ok";
    // One success in three: never 5 failures in a row, but two thirds fail.
    for (let i = 0; i < 12 && policy.breakerState() === "closed"; i++) {
      if (i % 3 === 0) {
        await policy.execute(ok, never);
      } else {
        await expect(policy.execute(failingOnce(httpError(503)), never)).rejects.toBeDefined();
      }
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(policy.breakerState()).toBe("open");
  });

  it("keeps the consecutive breaker closed when failures are interleaved with successes", async () => {
    const policy = createModelPolicy({ maxRetries: 0, breakerThreshold: 3 });
    for (let i = 0; i < 10; i++) {
      await (i % 2 === 0 ? policy.execute(async () => "ok", never) : policy.execute(failingOnce(httpError(503)), never).catch(() => undefined));
    }
    expect(policy.breakerState()).toBe("closed");
  });

  it("reads as half-open once the cool-down is over, even before a call arrives", async () => {
    // Regression: a replica with every breaker open reported NOT_SERVING forever,
    // since no call came to move the breaker on.
    const policy = createModelPolicy({ maxRetries: 0, breakerThreshold: 1, breakerHalfOpenAfterMs: 5_000 });
    const states: string[] = [];
    policy.subscribe((e) => e.type === "breaker" && states.push(e.state));
    await expect(policy.execute(failingOnce(httpError(503)), never)).rejects.toBeDefined();
    expect(policy.breakerState()).toBe("open");
    await vi.advanceTimersByTimeAsync(4_999);
    expect(policy.breakerState()).toBe("open");
    await vi.advanceTimersByTimeAsync(1);
    expect(policy.breakerState()).toBe("half-open");
    expect(states).toEqual(["open", "half-open"]);
    await expect(policy.execute(async () => "ok", never)).resolves.toBe("ok");
    expect(policy.breakerState()).toBe("closed");
  });
});

describe("model policy: the attempt clock", () => {
  it("does not count time the attempt spends waiting for its caller against the attempt timeout", async () => {
    const policy = createModelPolicy({ attemptTimeoutMs: 100, maxRetries: 0 });
    let releaseCaller!: () => void;
    const result = policy.execute(async ({ signal, pauseClock }) => {
      const resume = pauseClock();
      await new Promise<void>((resolve) => (releaseCaller = resolve));
      resume();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return signal.aborted ? "timed out" : "ok";
    }, never);
    await vi.advanceTimersByTimeAsync(500);
    releaseCaller();
    await vi.advanceTimersByTimeAsync(50);
    await expect(result).resolves.toBe("ok");
  });
});
