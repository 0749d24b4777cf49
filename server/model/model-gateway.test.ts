import { AIMessageChunk, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { cacheKey, createResponseCache } from "./cache/index.js";
import { cachedTurnSchema, turnCacheKey, type CachedTurn } from "./cached-turn.js";
import { isModelsUnavailableError } from "./model-errors.js";
import { createModelGateway, type GatewayModel, type ModelTurnEvent, type StreamingChatModel } from "./model-gateway.js";
import { createModelPolicy, type ModelPolicyOptions } from "./model-policy.js";
import { createPriceTable } from "./pricing.js";
import type { TurnSettings } from "./turn-settings.js";

type Behaviour = (signal: AbortSignal) => AsyncIterable<AIMessageChunk>;

function fakeModel(
  name: string,
  behaviour: Behaviour,
  timeoutMs = 1_000,
  policy: ModelPolicyOptions = {},
): GatewayModel & { calls: number } {
  const model = {
    name,
    policy: createModelPolicy({ attemptTimeoutMs: timeoutMs, maxRetries: 0, ...policy }),
    calls: 0,
    chat: {
      async stream(_messages: BaseMessage[], options: { signal: AbortSignal }) {
        model.calls++;
        return behaviour(options.signal);
      },
    } satisfies StreamingChatModel,
  };
  return model;
}

const answering = (text: string): Behaviour =>
  async function* () {
    for (const word of text.split(" ")) {
      yield new AIMessageChunk({ content: `${word} ` });
    }
    yield new AIMessageChunk({
      content: "",
      usage_metadata: { input_tokens: 100, output_tokens: 10, total_tokens: 110 },
      response_metadata: { finish_reason: "stop" },
    });
  };

const failing = (status: number): Behaviour =>
  // eslint-disable-next-line require-yield
  async function* () {
    throw Object.assign(new Error(`${status} status code`), { status });
  };

const cutAfter = (text: string): Behaviour =>
  async function* () {
    yield new AIMessageChunk({ content: text });
    // What Node's fetch throws when the provider drops the connection mid-body.
    throw new TypeError("terminated", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
  };

const hanging: Behaviour = (signal) => ({
  [Symbol.asyncIterator]: () => ({
    next: () =>
      new Promise<IteratorResult<AIMessageChunk>>((_, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
        }
        signal.addEventListener("abort", () => reject(signal.reason));
      }),
  }),
});

async function collect(events: AsyncIterable<ModelTurnEvent>): Promise<ModelTurnEvent[]> {
  const all: ModelTurnEvent[] = [];
  for await (const event of events) {
    all.push(event);
  }
  return all;
}

const request = (signal = new AbortController().signal) => ({ messages: [], tools: [], signal });

describe("model gateway", () => {
  it("streams the primary's text and completes the turn with usage and cost", async () => {
    const gateway = createModelGateway({ models: [fakeModel("sim-small", answering("hello there"))], prices: createPriceTable() });
    const events = await collect(gateway.streamTurn(request()));
    expect(events.filter((e) => e.type === "delta").map((e) => e.type === "delta" && e.text)).toEqual(["hello ", "there "]);
    const done = events.at(-1);
    expect(done?.type === "completed" && done.turn).toMatchObject({
      model: "sim-small",
      position: 0,
      text: "hello there ",
      usage: { inputTokens: 100, outputTokens: 10, totalTokens: 110 },
      costUsd: (100 * 0.15 + 10 * 0.6) / 1e6,
      finishReason: "stop",
    });
  });

  it("yields no deltas when text is not streamed, still completing the turn with all of it", async () => {
    const gateway = createModelGateway({ models: [fakeModel("sim-small", answering("hello there"))], prices: createPriceTable() });
    const events = await collect(gateway.streamTurn({ ...request(), streamText: false }));
    expect(events.map((e) => e.type)).toEqual(["completed"]);
    expect(events[0]?.type === "completed" && events[0].turn.text).toBe("hello there ");
  });

  it("still marks a restart mid-stream when text is not streamed", async () => {
    const gateway = createModelGateway({
      models: [fakeModel("a", cutAfter("partial")), fakeModel("b", answering("complete answer"))],
      prices: createPriceTable(),
    });
    const events = await collect(gateway.streamTurn({ ...request(), streamText: false }));
    expect(events.map((e) => e.type)).toEqual(["restart", "completed"]);
  });

  it("falls back to the next model when the primary fails before streaming", async () => {
    const primary = fakeModel("a", failing(503));
    const fallback = fakeModel("b", answering("ok"));
    const events = await collect(createModelGateway({ models: [primary, fallback], prices: createPriceTable() }).streamTurn(request()));
    expect(events.map((e) => e.type)).toEqual(["delta", "completed"]);
    const done = events.at(-1);
    expect(done?.type === "completed" && done.turn.position).toBe(1);
  });

  it("marks a restart when a model fails mid-stream, before the fallback's text", async () => {
    const gateway = createModelGateway({
      models: [fakeModel("a", cutAfter("partial")), fakeModel("b", answering("complete answer"))],
      prices: createPriceTable(),
    });
    const events = await collect(gateway.streamTurn(request()));
    expect(events.map((e) => e.type)).toEqual(["delta", "restart", "delta", "delta", "completed"]);
    expect(events[1]).toEqual({ type: "restart", failedModel: "a", nextModel: "b", reason: "connection closed by the provider mid-stream" });
  });

  it("throws ModelsUnavailableError naming every model and why", async () => {
    const gateway = createModelGateway({
      models: [fakeModel("a", failing(503)), fakeModel("b", failing(429))],
      prices: createPriceTable(),
    });
    const error = await collect(gateway.streamTurn(request())).catch((e: unknown) => e);
    expect(isModelsUnavailableError(error)).toBe(true);
    expect((error as Error).message).toBe("no model could answer: a (HTTP 503), b (HTTP 429)");
  });

  it("times out a hung model and falls back", async () => {
    vi.useFakeTimers();
    try {
      const gateway = createModelGateway({
        models: [fakeModel("a", hanging, 2_000), fakeModel("b", answering("ok"))],
        prices: createPriceTable(),
      });
      const run = collect(gateway.streamTurn(request()));
      await vi.advanceTimersByTimeAsync(2_000);
      const events = await run;
      const done = events.at(-1);
      expect(done?.type === "completed" && done.turn.model).toBe("b");
    } finally {
      vi.useRealTimers();
    }
  });

  it("stops at once with the caller's reason when the caller aborts, trying no other model", async () => {
    const caller = new AbortController();
    const fallback = fakeModel("b", answering("ok"));
    const gateway = createModelGateway({ models: [fakeModel("a", hanging), fallback], prices: createPriceTable() });
    const run = collect(gateway.streamTurn(request(caller.signal)));
    caller.abort(new Error("caller went away"));
    await expect(run).rejects.toThrow("caller went away");
    expect(fallback.calls).toBe(0);
  });

  it("retries the primary and reports the attempt that answered", async () => {
    let calls = 0;
    const flaky: Behaviour = (signal) => {
      calls++;
      return calls === 1 ? failing(503)(signal) : answering("ok")(signal);
    };
    const gateway = createModelGateway({
      models: [fakeModel("a", flaky, 1_000, { maxRetries: 2, initialBackoffMs: 1 })],
      prices: createPriceTable(),
    });
    const events = await collect(gateway.streamTurn(request()));
    const done = events.at(-1);
    expect(done?.type === "completed" && { model: done.turn.model, attempt: done.turn.attempt }).toEqual({ model: "a", attempt: 2 });
  });

  it("skips a model whose breaker is open without calling it", async () => {
    const primary = fakeModel("a", failing(503), 1_000, { breakerThreshold: 1, breakerHalfOpenAfterMs: 60_000 });
    const fallback = fakeModel("b", answering("ok"));
    const gateway = createModelGateway({ models: [primary, fallback], prices: createPriceTable() });
    await collect(gateway.streamTurn(request()));
    expect(primary.calls).toBe(1);
    expect(primary.policy.breakerState()).toBe("open");

    const events = await collect(gateway.streamTurn(request()));
    expect(primary.calls).toBe(1);
    const done = events.at(-1);
    expect(done?.type === "completed" && done.turn.model).toBe("b");
  });

  it("restarts on the next model, not retrying, when a model times out after streaming text", async () => {
    // Regression: the attempt timeout replaced the mid-stream failure with a
    // retryable one, so the same model streamed its answer a second time.
    vi.useFakeTimers();
    try {
      let calls = 0;
      const stallsAfterText: Behaviour = (signal) => {
        calls++;
        return (async function* () {
          yield new AIMessageChunk({ content: "partial " });
          await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
        })();
      };
      const gateway = createModelGateway({
        models: [fakeModel("a", stallsAfterText, 1_000, { maxRetries: 2, initialBackoffMs: 1 }), fakeModel("b", answering("whole"))],
        prices: createPriceTable(),
      });
      const run = collect(gateway.streamTurn(request()));
      await vi.advanceTimersByTimeAsync(1_000);
      const events = await run;
      expect(calls).toBe(1);
      expect(events.map((e) => e.type)).toEqual(["delta", "restart", "delta", "completed"]);
      expect(events[1]).toMatchObject({ type: "restart", reason: "timed out after 1000 ms mid-stream" });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("model gateway with turn settings", () => {
  const format = { name: "sentiment", schema: { type: "object", properties: { label: { type: "string" } } } };

  /** A model that answers `text` and records the settings of each call. */
  function recordingModel(name: string, text: string | ((call: number) => string), fields: Partial<GatewayModel> = {}) {
    const sent: (TurnSettings | undefined)[] = [];
    const model: GatewayModel = {
      name,
      policy: createModelPolicy({ maxRetries: 0 }),
      cacheScope: name,
      chat: {
        async stream(_messages, options) {
          sent.push(options.settings);
          return answering(typeof text === "string" ? text : text(sent.length))(options.signal);
        },
      },
      ...fields,
    };
    return { model, sent };
  }

  const memoryCache = () =>
    createResponseCache<CachedTurn>({ version: 1, schema: cachedTurnSchema, logger: pino({ level: "silent" }) });

  const answerOf = async (events: AsyncIterable<ModelTurnEvent>) => {
    const done = (await collect(events)).at(-1);
    return done?.type === "completed" ? { text: done.turn.text, cached: done.turn.cached } : undefined;
  };

  it("sends the output format only to a model with structured output, and the sampling settings to every model", async () => {
    const primary = recordingModel("a", "", { structuredOutput: true, chat: { stream: async () => failing(503)(new AbortController().signal) } });
    const withMode = recordingModel("b", "ok", { structuredOutput: true });
    const withoutMode = recordingModel("c", "ok");
    const settings = { temperature: 0.3, maxOutputTokens: 100, outputFormat: format };

    await collect(createModelGateway({ models: [withMode.model], prices: createPriceTable() }).streamTurn({ ...request(), settings }));
    await collect(createModelGateway({ models: [primary.model, withoutMode.model], prices: createPriceTable() }).streamTurn({ ...request(), settings }));

    expect(withMode.sent).toEqual([settings]);
    // The fallback has no structured-output mode: free text, with the same sampling.
    expect(withoutMode.sent).toEqual([{ temperature: 0.3, maxOutputTokens: 100, outputFormat: undefined }]);
  });

  it("sends no settings when a turn sets none", async () => {
    const model = recordingModel("a", "ok", { structuredOutput: true });
    await collect(createModelGateway({ models: [model.model], prices: createPriceTable() }).streamTurn({ ...request(), settings: {} }));
    expect(model.sent).toEqual([undefined]);
  });

  it("never answers a turn from the cache with an answer given under other settings", async () => {
    const model = recordingModel("a", (call) => `answer ${call}`, { structuredOutput: true });
    const gateway = createModelGateway({ models: [model.model], prices: createPriceTable(), cache: memoryCache() });
    const turnWith = (settings: TurnSettings | undefined) => answerOf(gateway.streamTurn({ ...request(), settings }));

    expect(await turnWith(undefined)).toEqual({ text: "answer 1 ", cached: false });
    expect(await turnWith({ temperature: 0 })).toEqual({ text: "answer 2 ", cached: false });
    expect(await turnWith({ maxOutputTokens: 10 })).toEqual({ text: "answer 3 ", cached: false });
    expect(await turnWith({ outputFormat: format })).toEqual({ text: "answer 4 ", cached: false });
    // The same settings again: the answers given under them.
    expect(await turnWith({ maxOutputTokens: 10 })).toEqual({ text: "answer 3 ", cached: true });
    expect(await turnWith(undefined)).toEqual({ text: "answer 1 ", cached: true });
  });

  it("keys a model without structured output on what it was sent, not on the format it was not", async () => {
    const model = recordingModel("a", (call) => `answer ${call}`);
    const gateway = createModelGateway({ models: [model.model], prices: createPriceTable(), cache: memoryCache() });

    await answerOf(gateway.streamTurn(request()));
    expect(await answerOf(gateway.streamTurn({ ...request(), settings: { outputFormat: format } }))).toEqual({ text: "answer 1 ", cached: true });
  });

  it("does not cache a turn sampled above temperature 0 unless the model allows sampled answers to be", async () => {
    const strict = recordingModel("a", (call) => `answer ${call}`);
    const lenient = recordingModel("b", (call) => `answer ${call}`, { cacheSampled: true });
    const sampled = { ...request(), settings: { temperature: 0.8 } };
    const strictGateway = createModelGateway({ models: [strict.model], prices: createPriceTable(), cache: memoryCache() });
    const lenientGateway = createModelGateway({ models: [lenient.model], prices: createPriceTable(), cache: memoryCache() });

    await answerOf(strictGateway.streamTurn(sampled));
    expect(await answerOf(strictGateway.streamTurn(sampled))).toEqual({ text: "answer 2 ", cached: false });
    await answerOf(lenientGateway.streamTurn(sampled));
    expect(await answerOf(lenientGateway.streamTurn(sampled))).toEqual({ text: "answer 1 ", cached: true });
  });

  it("does not store an answer the caller refuses, so the next identical turn asks the model again", async () => {
    const model = recordingModel("a", (call) => (call === 1 ? "not json" : '{"label": "ok"}'));
    const gateway = createModelGateway({ models: [model.model], prices: createPriceTable(), cache: memoryCache() });
    const turn = { ...request(), acceptsAnswer: (text: string) => text.trim().startsWith("{") };

    expect(await answerOf(gateway.streamTurn(turn))).toEqual({ text: "not json ", cached: false });
    expect(await answerOf(gateway.streamTurn(turn))).toEqual({ text: '{"label": "ok"} ', cached: false });
    expect(await answerOf(gateway.streamTurn(turn))).toEqual({ text: '{"label": "ok"} ', cached: true });
  });
});

describe("turnCacheKey", () => {
  const messages = [new HumanMessage("hi")];

  it("is the key it was before turn settings when a turn has none", () => {
    expect(turnCacheKey("s", messages, [], undefined)).toBe(cacheKey({ scope: "s", messages: [{ role: "human", content: "hi" }], tools: [] }));
  });

  it.each([
    ["temperature", { temperature: 0.5 }],
    ["output tokens", { maxOutputTokens: 64 }],
    ["output format", { outputFormat: { name: "x", schema: { type: "object" } } }],
  ])("differs by %s", (_, settings) => {
    expect(turnCacheKey("s", messages, [], settings)).not.toBe(turnCacheKey("s", messages, []));
  });
});
