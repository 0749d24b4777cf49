import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { toJson } from "@bufbuild/protobuf";
import { ExecuteResponseSchema, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { StopReason, ToolCallStatus } from "../../gen/agent/v1/run_pb.js";
import type { ModelGateway, ModelTurn, ModelTurnEvent, ModelTurnRequest, RequestedToolCall } from "../model/model-gateway.js";
import { createPromptVersion, type PromptVersion } from "../prompts/prompt-version.js";
import { createAgentExecutor, type RunRequest } from "./agent-executor.js";
import { decodeRunState, encodeRunState } from "./run-state.js";
import { applyRunEvent, createRunSummary } from "./run-summary.js";
import { createBuiltinTools, createToolRegistry, createToolRunner, defineTool, type AgentTool } from "./tools/index.js";

type Script = (request: ModelTurnRequest) => AsyncIterable<ModelTurnEvent> | ModelTurnEvent[];

/** A gateway that plays one script entry per model turn and records the requests. */
function scriptedGateway(script: Script[]): Pick<ModelGateway, "modelNames" | "streamTurn"> & { requests: ModelTurnRequest[] } {
  const requests: ModelTurnRequest[] = [];
  return {
    modelNames: ["fake-primary", "fake-fallback"],
    requests,
    async *streamTurn(request) {
      requests.push({ ...request, messages: [...request.messages] });
      const next = script[Math.min(requests.length - 1, script.length - 1)];
      if (next === undefined) {
        throw new Error("script is empty");
      }
      yield* next(request);
    },
  };
}

function turn(fields: Partial<ModelTurn>): ModelTurn {
  return {
    model: "fake-primary",
    position: 0,
    attempt: 1,
    text: "",
    toolCalls: [],
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    costUsd: 0.001,
    finishReason: fields.toolCalls?.length ? "tool_calls" : "stop",
    durationMs: 3,
    cached: false,
    ...fields,
  };
}

const answer = (text: string): Script => () => [
  ...text.split(" ").map((word, i) => ({ type: "delta" as const, text: i === 0 ? word : ` ${word}` })),
  { type: "completed" as const, turn: turn({ text }) },
];
const callTools = (...toolCalls: RequestedToolCall[]): Script => () => [
  { type: "completed" as const, turn: turn({ toolCalls }) },
];
const calculator = (id: string, args: string): RequestedToolCall => ({ id, name: "calculator", arguments: args });

function executorWith(gateway: Pick<ModelGateway, "modelNames" | "streamTurn">, extraTools: AgentTool[] = [], toolTimeoutMs = 1_000) {
  const registry = createToolRegistry([...createBuiltinTools(), ...extraTools]);
  let ids = 0;
  return createAgentExecutor({
    gateway,
    tools: registry,
    toolRunner: createToolRunner({ registry, defaultTimeoutMs: toolTimeoutMs }),
    prompt: createPromptVersion("test", "You are a test."),
    newRunId: () => `run-${++ids}`,
  });
}

const request = (fields: Partial<RunRequest> = {}): RunRequest => ({
  input: "What is 17 * 23?",
  maxIterations: 5,
  maxExecutionTimeMs: 10_000,
  traceId: "0af7651916cd43dd8448eb211c80319c",
  ...fields,
});

async function collect(events: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const all: StreamResponse[] = [];
  for await (const event of events) {
    all.push(event);
  }
  return all;
}

const cases = (events: StreamResponse[]) => events.map((e) => e.event.case);
const completed = (events: StreamResponse[]) => {
  const last = events.at(-1)?.event;
  if (last?.case !== "runCompleted" || last.value.result === undefined) {
    throw new Error(`the run did not complete: ${String(last?.case)}`);
  }
  return last.value.result;
};

/** A tool named "probe" that records each time it starts. */
function probeTool(starts: string[]): AgentTool {
  return defineTool({
    name: "probe",
    description: "records that it ran",
    schema: z.object({}),
    async invoke() {
      starts.push("probe");
      return "ok";
    },
  });
}

/** A promise with its resolver (Promise.withResolvers needs Node 22). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("agent executor", () => {
  it("calls a tool, feeds the result back and ends with the final answer", async () => {
    const gateway = scriptedGateway([callTools(calculator("c1", '{"expression":"17 * 23"}')), answer("It is 391.")]);
    const events = await collect(executorWith(gateway).run(request(), new AbortController().signal));

    expect(cases(events)).toEqual([
      "runStarted",
      "modelCallFinished",
      "toolCallStarted",
      "toolCallFinished",
      "textDelta",
      "textDelta",
      "textDelta",
      "modelCallFinished",
      "runCompleted",
    ]);
    const result = completed(events);
    expect(result.output).toBe("It is 391.");
    expect(result.stopReason).toBe(StopReason.FINAL_ANSWER);
    expect(result.iterations).toBe(2);
    expect(result.usage).toMatchObject({ inputTokens: 20, outputTokens: 10, totalTokens: 30 });
    const toolStep = result.steps.find((s) => s.kind.case === "toolCall");
    expect(toolStep?.kind.value).toMatchObject({ name: "calculator", status: ToolCallStatus.OK, result: "391" });
    // The second model turn saw the tool's answer.
    const toolMessage = gateway.requests[1]?.messages.at(-1);
    expect(toolMessage?.content).toBe("391");
  });

  it("resumes from the state a turn left, on another executor, to the same answer without repeating the turn", async () => {
    const script = [callTools(calculator("c1", '{"expression":"17 * 23"}')), answer("It is 391.")];
    const whole = completed(await collect(executorWith(scriptedGateway(script)).run(request(), new AbortController().signal)));

    // The first executor takes one turn (its tool call included) and stops there.
    const states: string[] = [];
    const first = scriptedGateway(script);
    await collect(executorWith(first).run(request({ maxIterations: 1, onTurn: (state) => states.push(encodeRunState(state)) }), new AbortController().signal));
    expect(states).toHaveLength(1);

    // Another executor, as on another replica, continues from the encoded state.
    const second = scriptedGateway([answer("It is 391.")]);
    const resumed = completed(
      await collect(executorWith(second).run(request({ input: "ignored", from: decodeRunState(states[0] ?? "") }), new AbortController().signal)),
    );
    expect(second.requests).toHaveLength(1);
    expect(second.requests[0]?.messages.map((m) => m.getType())).toEqual(["system", "human", "ai", "tool"]);
    expect(second.requests[0]?.messages.at(-1)?.content).toBe("391");
    // The same summary, but for the ids and the times it took.
    const untimed = (result: typeof whole) =>
      toJson(ExecuteResponseSchema, { ...result, runId: "", duration: undefined, steps: result.steps.map((step) => ({ ...step, kind: { ...step.kind, value: { ...step.kind.value, duration: undefined } } }) as typeof step) });
    expect(untimed(resumed)).toEqual(untimed(whole));
  });

  it("runs with the prompt its request brings", async () => {
    const gateway = scriptedGateway([answer("Done.")]);
    const prompt = createPromptVersion("experiment", "You are terse.");
    const events = await collect(executorWith(gateway).run(request({ prompt }), new AbortController().signal));
    expect(gateway.requests[0]?.messages[0]?.content).toBe("You are terse.");
    expect(completed(events).promptVersion).toBe(prompt.id);
    const started = events[0]?.event;
    expect(started?.case === "runStarted" && started.value.promptVersion).toBe(prompt.id);
  });

  it("builds the summary as the fold of the events it streamed", async () => {
    const gateway = scriptedGateway([callTools(calculator("c1", '{"expression":"2 ^ 10"}')), answer("1024")]);
    const events = await collect(executorWith(gateway).run(request(), new AbortController().signal));
    const folded = createRunSummary();
    for (const event of events.slice(0, -1)) {
      applyRunEvent(folded, event);
    }
    const result = completed(events);
    expect(folded.steps).toEqual(result.steps);
    expect(folded.usage).toEqual(result.usage);
    expect(folded.runId).toBe(result.runId);
    expect(folded.costUsd).toBeCloseTo(result.costUsd);
  });

  it("stops with MAX_ITERATIONS when the model never answers", async () => {
    const gateway = scriptedGateway([callTools(calculator("c", '{"expression":"1 + 1"}'))]);
    const events = await collect(executorWith(gateway).run(request({ maxIterations: 3 }), new AbortController().signal));
    const result = completed(events);
    expect(result.stopReason).toBe(StopReason.MAX_ITERATIONS);
    expect(result.iterations).toBe(3);
    expect(result.output).toBe("");
    expect(gateway.requests).toHaveLength(3);
  });

  it("feeds invalid tool arguments back to the model instead of failing the run", async () => {
    const gateway = scriptedGateway([
      callTools(calculator("bad-json", '{"expression": 17 *'), calculator("bad-schema", '{"expr":"1"}')),
      callTools(calculator("good", '{"expression":"17 * 23"}')),
      answer("391"),
    ]);
    const events = await collect(executorWith(gateway).run(request(), new AbortController().signal));
    const result = completed(events);
    expect(result.stopReason).toBe(StopReason.FINAL_ANSWER);
    const statuses = result.steps.flatMap((s) => (s.kind.case === "toolCall" ? [s.kind.value.status] : []));
    expect(statuses).toEqual([
      ToolCallStatus.INVALID_ARGUMENTS,
      ToolCallStatus.INVALID_ARGUMENTS,
      ToolCallStatus.OK,
    ]);
    const feedback = gateway.requests[1]?.messages.slice(-2).map((m) => String(m.content));
    expect(feedback?.[0]).toMatch(/^Error/);
    expect(feedback?.[1]).toMatch(/expression/);
  });

  it("feeds an unknown tool and an empty reply back as malformed output", async () => {
    const gateway = scriptedGateway([
      callTools({ id: "x", name: "does_not_exist", arguments: "{}" }),
      () => [{ type: "completed", turn: turn({ text: "" }) }],
      answer("done"),
    ]);
    const events = await collect(executorWith(gateway).run(request(), new AbortController().signal));
    const result = completed(events);
    expect(result.output).toBe("done");
    const unknown = result.steps.find((s) => s.kind.case === "toolCall")?.kind.value;
    expect(unknown).toMatchObject({ status: ToolCallStatus.UNKNOWN_TOOL });
    expect(String(gateway.requests[2]?.messages.at(-1)?.content)).toMatch(/empty/);
  });

  it("runs the tool calls of one turn concurrently", async () => {
    const release = deferred();
    const started: string[] = [];
    const slow = defineTool({
      name: "slow",
      description: "waits",
      schema: z.object({ id: z.string() }),
      async invoke({ id }) {
        started.push(id);
        if (id === "a") {
          await release.promise;
          // Let "b"'s outcome settle first, so the order below is deterministic.
          await new Promise((resolve) => setImmediate(resolve));
        } else {
          release.resolve();
        }
        return id;
      },
    });
    const gateway = scriptedGateway([
      callTools({ id: "a", name: "slow", arguments: '{"id":"a"}' }, { id: "b", name: "slow", arguments: '{"id":"b"}' }),
      answer("ok"),
    ]);
    const events = await collect(executorWith(gateway, [slow]).run(request(), new AbortController().signal));
    // "a" can only finish because "b" ran while "a" was still waiting; "b" is reported first.
    const finished = events.flatMap((e) => (e.event.case === "toolCallFinished" ? [e.event.value.call?.callId] : []));
    expect(finished).toEqual(["b", "a"]);
    // The tool messages keep the order of the calls.
    expect(gateway.requests[1]?.messages.slice(-2).map((m) => m.content)).toEqual(["a", "b"]);
  });

  it("stops with TIME_LIMIT when the run's time is up", async () => {
    vi.useFakeTimers();
    const hung: Script = (req) => ({
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<ModelTurnEvent>>((_, reject) =>
            req.signal.addEventListener("abort", () => reject(req.signal.reason)),
          ),
      }),
    });
    const gateway = scriptedGateway([hung]);
    const run = collect(executorWith(gateway).run(request({ maxExecutionTimeMs: 5_000 }), new AbortController().signal));
    await vi.advanceTimersByTimeAsync(5_000);
    const result = completed(await run);
    expect(result.stopReason).toBe(StopReason.TIME_LIMIT);
    expect(gateway.requests[0]?.signal.aborted).toBe(true);
  });

  it("stops at once when the caller aborts, and starts no tool after", async () => {
    const caller = new AbortController();
    const toolStarts: string[] = [];
    const probe = probeTool(toolStarts);
    const modelSawAbort = deferred();
    const slowTurn: Script = (req) => ({
      async *[Symbol.asyncIterator]() {
        yield { type: "delta", text: "thinking" };
        // The consumer aborts while this turn is suspended at the yield above.
        if (req.signal.aborted) {
          modelSawAbort.resolve();
          throw req.signal.reason;
        }
        yield { type: "completed", turn: turn({ toolCalls: [{ id: "p", name: "probe", arguments: "{}" }] }) };
      },
    });
    const events: StreamResponse[] = [];
    const run = (async () => {
      for await (const event of executorWith(scriptedGateway([slowTurn]), [probe]).run(request(), caller.signal)) {
        events.push(event);
        if (event.event.case === "textDelta") {
          caller.abort(new Error("caller went away"));
        }
      }
    })();
    await expect(run).rejects.toThrow("caller went away");
    await modelSawAbort.promise;
    expect(toolStarts).toEqual([]);
    expect(cases(events)).not.toContain("toolCallStarted");
    expect(cases(events)).not.toContain("runCompleted");
  });

  it("runs no tool a model asks for after the caller aborted, even if the model ignored the abort", async () => {
    const caller = new AbortController();
    const toolStarts: string[] = [];
    const probe = probeTool(toolStarts);
    // This model answers with a tool call whatever its signal says.
    const deaf: Script = () => ({
      async *[Symbol.asyncIterator]() {
        caller.abort(new Error("caller went away"));
        yield { type: "completed", turn: turn({ toolCalls: [{ id: "p", name: "probe", arguments: "{}" }] }) };
      },
    });
    const events = collect(executorWith(scriptedGateway([deaf]), [probe]).run(request(), caller.signal));
    await expect(events).rejects.toThrow("caller went away");
    expect(toolStarts).toEqual([]);
  });

  it("emits the restart marker the gateway reports, and the summary keeps only finished turns", async () => {
    const gateway = scriptedGateway([
      () => [
        { type: "delta", text: "partial ans" },
        { type: "restart", failedModel: "fake-primary", nextModel: "fake-fallback", reason: "connection failed" },
        { type: "delta", text: "full answer" },
        { type: "completed", turn: turn({ text: "full answer", model: "fake-fallback", position: 1 }) },
      ],
    ]);
    const events = await collect(executorWith(gateway).run(request(), new AbortController().signal));
    expect(cases(events)).toEqual(["runStarted", "textDelta", "stepRestarted", "textDelta", "modelCallFinished", "runCompleted"]);
    const result = completed(events);
    expect(result.output).toBe("full answer");
    expect(result.fallbackUsed).toBe(true);
    expect(result.model).toBe("fake-fallback");
  });

  describe("when the consumer stops reading before the caller's signal fires", () => {
    // Regression: the run's model calls and tools went on, and the
    // invoke_agent span never ended, when Connect closed the stream first.
    it("ends the invoke_agent span even at the first event", async () => {
      const exporter = new InMemorySpanExporter();
      const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      const executor = createAgentExecutor({
        gateway: scriptedGateway([answer("never read")]),
        tools: createToolRegistry([]),
        toolRunner: createToolRunner({ registry: createToolRegistry([]) }),
        prompt: createPromptVersion("test", "You are a test."),
        tracer: provider.getTracer("test"),
      });
      const run = executor.run(request(), new AbortController().signal);
      expect((await run.next()).value?.event.case).toBe("runStarted");
      await run.return();
      const [span] = exporter.getFinishedSpans();
      expect(span?.name).toBe("invoke_agent agent-service");
      expect(span?.attributes["error.type"]).toBe("canceled");
    });

    it("aborts the model call in flight", async () => {
      const seen = deferred();
      let modelSignal: AbortSignal | undefined;
      const slowTurn: Script = (req) => ({
        async *[Symbol.asyncIterator]() {
          modelSignal = req.signal;
          yield { type: "delta", text: "thinking" };
          seen.resolve();
          await new Promise((resolve) => req.signal.addEventListener("abort", resolve));
        },
      });
      const run = executorWith(scriptedGateway([slowTurn])).run(request(), new AbortController().signal);
      for (let event = await run.next(); event.value?.event.case !== "textDelta"; event = await run.next()) {
        // Read up to the first text.
      }
      await run.return();
      expect(modelSignal?.aborted).toBe(true);
    });
  });
});

describe("agent executor with an output schema", () => {
  const sentimentSchema = {
    type: "object",
    properties: { label: { enum: ["positive", "negative", "neutral"] }, confidence: { type: "number" } },
    required: ["label", "confidence"],
  } as const;
  const sentiment = (fields: Partial<PromptVersion> = {}): PromptVersion => ({
    ...createPromptVersion("sentiment", "Analyze the sentiment."),
    kind: "chain",
    outputSchema: sentimentSchema,
    ...fields,
  });
  const outputErrorsOf = (result: ReturnType<typeof completed>) =>
    result.steps.flatMap((step) => (step.kind.case === "modelCall" ? [step.kind.value.outputErrors] : []));

  it("ends with the parsed answer as structured output beside the text, and asks the model for the schema", async () => {
    const text = '{"label": "positive", "confidence": 0.9}';
    const gateway = scriptedGateway([answer(text)]);
    const result = completed(await collect(executorWith(gateway).run(request({ prompt: sentiment() }), new AbortController().signal)));

    expect(result.stopReason).toBe(StopReason.FINAL_ANSWER);
    expect(result.output).toBe(text);
    expect(result.structuredOutput).toEqual({ label: "positive", confidence: 0.9 });
    expect(outputErrorsOf(result)).toEqual([[]]);
    expect(gateway.requests[0]?.settings?.outputFormat).toEqual({ name: "sentiment", schema: sentimentSchema });
  });

  it("sends an invalid answer back with its errors, records them on the step, and ends with the valid retry", async () => {
    const gateway = scriptedGateway([answer("I think it is positive."), answer('{"label": "great", "confidence": 1}'), answer('{"label": "positive", "confidence": 1}')]);
    const result = completed(await collect(executorWith(gateway).run(request({ prompt: sentiment() }), new AbortController().signal)));

    expect(result.stopReason).toBe(StopReason.FINAL_ANSWER);
    expect(result.iterations).toBe(3);
    expect(result.structuredOutput).toEqual({ label: "positive", confidence: 1 });
    const [notJson, wrongLabel, valid] = outputErrorsOf(result);
    expect(notJson).toEqual([expect.stringMatching(/^the answer is not valid JSON \(Unexpected token/)]);
    expect(wrongLabel).toEqual(['$.label: must be one of "positive", "negative", "neutral"']);
    expect(valid).toEqual([]);
    // The model saw its answer and the errors, as the last two messages of the next turn.
    const [answered, correction] = gateway.requests[2]?.messages.slice(-2) ?? [];
    expect(answered?.getType()).toBe("ai");
    expect(answered?.content).toBe('{"label": "great", "confidence": 1}');
    expect(correction?.getType()).toBe("human");
    expect(String(correction?.content)).toContain('- $.label: must be one of "positive", "negative", "neutral"');
    expect(String(correction?.content)).toContain(`Reply with only a JSON object that matches this JSON Schema, and no other text: ${JSON.stringify(sentimentSchema)}`);
  });

  it("stops with MAX_ITERATIONS, no output and no structured output, when no answer validates in time", async () => {
    const gateway = scriptedGateway([answer('{"label": "positive"}')]);
    const result = completed(await collect(executorWith(gateway).run(request({ prompt: sentiment(), maxIterations: 2 }), new AbortController().signal)));

    expect(result.stopReason).toBe(StopReason.MAX_ITERATIONS);
    expect(result.iterations).toBe(2);
    expect(result.output).toBe("");
    expect(result.structuredOutput).toBeUndefined();
    expect(outputErrorsOf(result)).toEqual([['$: must have the property "confidence"'], ['$: must have the property "confidence"']]);
  });

  it("counts a retry against the run's cost limit like any turn", async () => {
    const gateway = scriptedGateway([answer("not JSON")]);
    const result = completed(await collect(executorWith(gateway).run(request({ prompt: sentiment(), maxCostUsd: 0.0015 }), new AbortController().signal)));

    expect(result.stopReason).toBe(StopReason.COST_LIMIT);
    expect(gateway.requests).toHaveLength(2);
    expect(result.structuredOutput).toBeUndefined();
  });

  it("offers a chain no tools, however many are registered", async () => {
    const gateway = scriptedGateway([answer('{"label": "neutral", "confidence": 0.5}')]);
    await collect(executorWith(gateway, [probeTool([])]).run(request({ prompt: sentiment() }), new AbortController().signal));

    expect(gateway.requests[0]?.tools).toEqual([]);
  });

  it("checks only final answers: a turn that calls tools goes on to its tools", async () => {
    const gateway = scriptedGateway([callTools(calculator("c1", '{"expression":"2 + 2"}')), answer('{"label": "neutral", "confidence": 4}')]);
    const result = completed(await collect(executorWith(gateway).run(request({ prompt: sentiment({ kind: "agent" }) }), new AbortController().signal)));

    expect(result.structuredOutput).toEqual({ label: "neutral", confidence: 4 });
    expect(outputErrorsOf(result)).toEqual([[], []]);
  });

  it("tells the gateway which answers may be cached: only those that validate", async () => {
    const gateway = scriptedGateway([answer('{"label": "positive", "confidence": 1}')]);
    await collect(executorWith(gateway).run(request({ prompt: sentiment() }), new AbortController().signal));

    const accepts = gateway.requests[0]?.acceptsAnswer;
    expect(accepts?.('{"label": "positive", "confidence": 1}')).toBe(true);
    expect(accepts?.("positive")).toBe(false);
  });

  it("passes the prompt version's temperature and output tokens to every model call", async () => {
    const gateway = scriptedGateway([callTools(calculator("c1", '{"expression":"2 + 2"}')), answer("4")]);
    const prompt: PromptVersion = { ...createPromptVersion("warm", "Be creative."), model: { temperature: 0.7, maxOutputTokens: 256 } };
    await collect(executorWith(gateway).run(request({ prompt }), new AbortController().signal));

    expect(gateway.requests.map((sent) => sent.settings)).toEqual([
      { temperature: 0.7, maxOutputTokens: 256, outputFormat: undefined },
      { temperature: 0.7, maxOutputTokens: 256, outputFormat: undefined },
    ]);
    // Free text: nothing to check.
    expect(gateway.requests[0]?.acceptsAnswer).toBeUndefined();
  });
});
