import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  createToolRegistry,
  createToolRunner,
  defineTool,
  type AgentTool,
  type ToolCallOutcome,
  type ToolCallRequest,
  type ToolRunnerOptions,
} from "./index.js";

function call(name: string, args: unknown = {}): ToolCallRequest {
  return { id: "call_1", name, arguments: typeof args === "string" ? args : JSON.stringify(args) };
}

function runnerWith(tools: readonly AgentTool[], options: Omit<ToolRunnerOptions, "registry"> = {}) {
  return createToolRunner({ registry: createToolRegistry(tools), clock: () => Date.now(), ...options });
}

const echoTool = defineTool({
  name: "echo",
  description: "Echoes its text.",
  schema: z.object({ text: z.string(), times: z.number().int().positive().optional() }),
  async invoke({ text, times = 1 }) {
    return text.repeat(times);
  },
});

/** Never settles and never looks at its signal: the worst case the runner must survive. */
const hangingTool = defineTool({
  name: "hang",
  description: "Never answers.",
  schema: z.object({}),
  invoke: () => new Promise<string>(() => {}),
});

/** Records the signal it was given and settles only when that signal aborts. */
function signalRecordingTool(name = "wait"): { tool: AgentTool; signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  const tool = defineTool({
    name,
    description: "Waits for its signal.",
    schema: z.object({}),
    invoke: (_, { signal }) => {
      signals.push(signal);
      return new Promise<string>((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    },
  });
  return { tool, signals };
}

function failingTool(error: unknown): AgentTool {
  return defineTool({
    name: "broken",
    description: "Always fails.",
    schema: z.object({}),
    invoke: async () => {
      throw error;
    },
  });
}

function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("createToolRunner", () => {
  it("returns the tool's result with the duration measured by the clock", async () => {
    const times = [100, 142.5];
    const runner = runnerWith([echoTool], { clock: () => times.shift() ?? Number.NaN });

    const outcome = await runner.run(call("echo", { text: "hi", times: 2 }), new AbortController().signal);

    expect(outcome).toEqual({ status: "ok", result: "hihi", durationMs: 42.5 });
  });

  it("treats empty arguments as no arguments", async () => {
    const optionalArgsTool = defineTool({
      name: "greet",
      description: "Greets.",
      schema: z.object({ name: z.string().optional() }),
      invoke: async ({ name = "world" }) => `hello ${name}`,
    });

    const outcome = await runnerWith([optionalArgsTool]).run(call("greet", ""), new AbortController().signal);

    expect(outcome).toMatchObject({ status: "ok", result: "hello world" });
  });

  it("reports an unknown tool and lists the available ones", async () => {
    const outcome = await runnerWith([echoTool, hangingTool]).run(call("ech0"), new AbortController().signal);

    expect(outcome).toMatchObject({
      status: "error",
      reason: "unknown_tool",
      message: 'Error: there is no tool named "ech0". Available tools: echo, hang. Call one of them by its exact name.',
    });
  });

  it("reports arguments that are not JSON", async () => {
    const outcome = await runnerWith([echoTool]).run(call("echo", "{text: hi}"), new AbortController().signal);

    expect(outcome).toMatchObject({ status: "error", reason: "invalid_arguments" });
    expect(outcome.status === "error" && outcome.message).toMatch(
      /^Error: invalid arguments for echo: the arguments were not valid JSON \(.+\)\. Call the tool again/,
    );
  });

  describe.each([
    ["a missing field as Required", {}, "text: Required"],
    ["a field of the wrong type", { text: 42 }, "text: Invalid input: expected string, received number"],
    ["every failing field", { text: 1, times: -1 }, "text: Invalid input: expected string, received number; times: Too small"],
    ["arguments that are not an object", [1, 2], "arguments: Invalid input: expected object, received array"],
  ])("when the arguments break the schema", (behaviour, args, summary) => {
    it(`names ${behaviour}`, async () => {
      const outcome = await runnerWith([echoTool]).run(call("echo", args), new AbortController().signal);

      expect(outcome).toMatchObject({ status: "error", reason: "invalid_arguments" });
      expect(outcome.status === "error" && outcome.message).toContain(`Error: invalid arguments for echo: ${summary}`);
      expect(outcome.status === "error" && outcome.message).toMatch(/Call the tool again with arguments matching its schema\.$/);
    });
  });

  it("names the path of a nested field that breaks the schema", async () => {
    const nestedTool = defineTool({
      name: "order",
      description: "Orders.",
      schema: z.object({ lines: z.array(z.object({ sku: z.string() })) }),
      invoke: async () => "ok",
    });

    const outcome = await runnerWith([nestedTool]).run(call("order", { lines: [{ sku: "A" }, {}] }), new AbortController().signal);

    expect(outcome.status === "error" && outcome.message).toContain("lines[1].sku: Required");
  });

  it("does not invoke the tool when its arguments are invalid", async () => {
    const invoke = vi.fn(async () => "ran");
    const tool = defineTool({ name: "guarded", description: "Guarded.", schema: z.object({ n: z.number() }), invoke });

    await runnerWith([tool]).run(call("guarded", { n: "1" }), new AbortController().signal);

    expect(invoke).not.toHaveBeenCalled();
  });

  it("reports a failing refinement in a tool's schema as a failure, not a crash", async () => {
    const tool = defineTool({
      name: "fragile",
      description: "Has a broken refinement.",
      schema: z.object({ n: z.number() }).refine(() => {
        throw new Error("refinement bug");
      }),
      invoke: async () => "unreachable",
    });

    const outcome = await runnerWith([tool]).run(call("fragile", { n: 1 }), new AbortController().signal);

    expect(outcome).toMatchObject({ status: "error", reason: "failed" });
  });

  describe("timeouts", () => {
    it("abandons a tool that ignores its signal at the timeout", async () => {
      const runner = runnerWith([hangingTool], { defaultTimeoutMs: 1_000 });

      const outcome = runner.run(call("hang"), new AbortController().signal);
      const settled = settledFlag(outcome);
      await vi.advanceTimersByTimeAsync(999);
      expect(settled()).toBe(false);
      await vi.advanceTimersByTimeAsync(1);

      expect(await outcome).toEqual({
        status: "error",
        reason: "timeout",
        message: "Error: hang did not finish within 1000 ms and was stopped. Try again with a simpler request, or continue without it.",
        durationMs: 1_000,
      });
    });

    it("aborts the signal of a tool that honours it, with a TimeoutError", async () => {
      const { tool, signals } = signalRecordingTool();
      const runner = runnerWith([tool], { defaultTimeoutMs: 1_000 });

      const outcome = runner.run(call("wait"), new AbortController().signal);
      await vi.advanceTimersByTimeAsync(1_000);

      expect(await outcome).toMatchObject({ status: "error", reason: "timeout" });
      expect(signals[0]?.aborted).toBe(true);
      expect(signals[0]?.reason).toMatchObject({ name: "TimeoutError" });
    });

    it("reports a timeout even when the tool answers its abort with partial text", async () => {
      const partialTool = defineTool({
        name: "partial",
        description: "Returns what it has when stopped.",
        schema: z.object({}),
        invoke: (_, { signal }) =>
          new Promise<string>((resolve) => {
            signal.addEventListener("abort", () => {
              resolve("half an answer");
            });
          }),
      });
      const runner = runnerWith([partialTool], { defaultTimeoutMs: 1_000 });

      const outcome = runner.run(call("partial"), new AbortController().signal);
      await vi.advanceTimersByTimeAsync(1_000);

      expect(await outcome).toMatchObject({ status: "error", reason: "timeout" });
    });

    it("uses the tool's own timeout over the default", async () => {
      const quickTimeout: AgentTool = { ...hangingTool, timeoutMs: 50 };
      const runner = runnerWith([quickTimeout], { defaultTimeoutMs: 10_000 });

      const outcome = runner.run(call("hang"), new AbortController().signal);
      await vi.advanceTimersByTimeAsync(50);

      expect(await outcome).toMatchObject({ status: "error", reason: "timeout", durationMs: 50 });
    });

    it("defaults to a 10 second timeout", async () => {
      const outcome = createToolRunner({ registry: createToolRegistry([hangingTool]) }).run(
        call("hang"),
        new AbortController().signal,
      );
      const settled = settledFlag(outcome);
      await vi.advanceTimersByTimeAsync(9_999);
      expect(settled()).toBe(false);
      await vi.advanceTimersByTimeAsync(1);

      expect(await outcome).toMatchObject({ reason: "timeout" });
    });

    it("leaves no timer and no listener behind after a call", async () => {
      const caller = new AbortController();
      const runner = runnerWith([echoTool, hangingTool], { defaultTimeoutMs: 1_000 });

      await runner.run(call("echo", { text: "x" }), caller.signal);
      const timedOut = runner.run(call("hang"), caller.signal);
      await vi.advanceTimersByTimeAsync(1_000);
      await timedOut;

      expect(vi.getTimerCount()).toBe(0);
      expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
    });
  });

  describe("cancellation by the caller", () => {
    it("rejects with the caller's reason and aborts the tool's signal", async () => {
      const { tool, signals } = signalRecordingTool();
      const caller = new AbortController();
      const reason = new Error("client went away");

      const outcome = runnerWith([tool]).run(call("wait"), caller.signal);
      caller.abort(reason);

      await expect(outcome).rejects.toBe(reason);
      expect(signals[0]?.aborted).toBe(true);
      expect(signals[0]?.reason).toBe(reason);
      expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("rejects with the caller's reason even when the tool ignores its signal", async () => {
      const caller = new AbortController();
      const reason = new Error("deadline exceeded");

      const outcome = runnerWith([hangingTool]).run(call("hang"), caller.signal);
      caller.abort(reason);

      await expect(outcome).rejects.toBe(reason);
    });

    it("rejects without invoking the tool when the signal is already aborted", async () => {
      const invoke = vi.fn(async () => "ran");
      const tool = defineTool({ name: "never", description: "Never runs.", schema: z.object({}), invoke });
      const reason = new Error("cancelled before the call");

      await expect(runnerWith([tool]).run(call("never"), AbortSignal.abort(reason))).rejects.toBe(reason);
      expect(invoke).not.toHaveBeenCalled();
    });
  });

  describe.each([
    ["an Error's message", new Error("upstream said no."), "Error: broken failed: upstream said no. Fix the arguments"],
    ["a thrown string", "quota exhausted", "Error: broken failed: quota exhausted. Fix the arguments"],
    ["a placeholder for a value with no message", { code: 42 }, "Error: broken failed: the tool reported no reason. Fix"],
  ])("when a tool throws", (what, thrown, expected) => {
    it(`reports a failure quoting ${what}`, async () => {
      const outcome = await runnerWith([failingTool(thrown)]).run(call("broken"), new AbortController().signal);

      expect(outcome).toMatchObject({ status: "error", reason: "failed" });
      expect(outcome.status === "error" && outcome.message).toContain(expected);
    });
  });

  it("never reveals a thrown error's stack", async () => {
    const error = new Error("disk full");
    error.stack = "Error: disk full\n    at secretInternals (/srv/app/storage.js:10:5)";

    const outcome = await runnerWith([failingTool(error)]).run(call("broken"), new AbortController().signal);

    expect(outcome.status === "error" && outcome.message).not.toContain("secretInternals");
  });

  it("reports a tool that throws synchronously as a failure", async () => {
    const tool: AgentTool = {
      name: "sync_thrower",
      description: "Throws before returning a promise.",
      schema: z.object({}),
      invoke: () => {
        throw new Error("not a promise");
      },
    };

    const outcome = await runnerWith([tool]).run(call("sync_thrower"), new AbortController().signal);

    expect(outcome).toMatchObject({ status: "error", reason: "failed" });
  });

  it("reports a tool that returns something other than text as a failure", async () => {
    const tool = { ...echoTool, invoke: async () => 42 } as unknown as AgentTool;

    const outcome = await runnerWith([tool]).run(call("echo", { text: "x" }), new AbortController().signal);

    expect(outcome).toMatchObject({ status: "error", reason: "failed" });
    expect(outcome.status === "error" && outcome.message).toContain("the tool returned no text");
  });

  it("truncates a long result and says how much was left out", async () => {
    const runner = runnerWith([echoTool], { maxResultChars: 10 });

    const outcome: ToolCallOutcome = await runner.run(call("echo", { text: "abcdefghij", times: 3 }), new AbortController().signal);

    expect(outcome).toMatchObject({
      status: "ok",
      result: "abcdefghij\n[truncated: showing the first 10 of 30 characters]",
    });
  });

  it("does not split a surrogate pair when truncating", async () => {
    const runner = runnerWith([echoTool], { maxResultChars: 2 });

    const outcome = await runner.run(call("echo", { text: "a😀b" }), new AbortController().signal);

    expect(outcome.status === "ok" && outcome.result).toBe("a\n[truncated: showing the first 1 of 4 characters]");
  });

  it("keeps a result at exactly the limit whole", async () => {
    const runner = runnerWith([echoTool], { maxResultChars: 4 });

    const outcome = await runner.run(call("echo", { text: "abcd" }), new AbortController().signal);

    expect(outcome).toMatchObject({ status: "ok", result: "abcd" });
  });

  it.each([
    [{ defaultTimeoutMs: 0 }, "defaultTimeoutMs"],
    [{ defaultTimeoutMs: Number.POSITIVE_INFINITY }, "defaultTimeoutMs"],
    [{ maxResultChars: 0 }, "maxResultChars"],
    [{ maxResultChars: 1.5 }, "maxResultChars"],
  ])("refuses out-of-range options %o", (options, name) => {
    expect(() => runnerWith([], options)).toThrow(new RegExp(`^${name} must be`));
  });
});
