import { clone, create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { context, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from "@opentelemetry/api";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { ExecuteResponseSchema, StreamResponseSchema, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import {
  ModelCallSchema,
  StopReason,
  ToolCallSchema,
  ToolCallStatus,
  UsageSchema,
  type ToolCall,
} from "../../gen/agent/v1/run_pb.js";
import type { ModelGateway, ModelTurn, RequestedToolCall } from "../model/model-gateway.js";
import type { PromptVersion } from "../prompts/prompt-version.js";
import { createAnswerCheck } from "./answer-check.js";
import { createRunBudget, isRunTimeLimitError } from "./run-budget.js";
import { copyRunState, type RunState } from "./run-state.js";
import type { TurnMeter } from "./turn-meter.js";
import { applyRunEvent, createRunSummary, endRunSummary } from "./run-summary.js";
import type { ToolCallErrorReason, ToolCallOutcome, ToolRegistry, ToolRunner } from "./tools/index.js";

/** Dependencies of {@link createAgentExecutor}. */
export interface AgentExecutorOptions {
  /** The one way to call models; the executor needs only its turns. */
  readonly gateway: Pick<ModelGateway, "modelNames" | "streamTurn">;
  /** Tools offered to the model. */
  readonly tools: ToolRegistry;
  /** Runs tool calls: validation, timeouts, errors as messages. */
  readonly toolRunner: ToolRunner;
  /** The system prompt of a run whose request brings none. */
  readonly prompt: PromptVersion;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  readonly clock?: () => number;
  /** Creates run ids. Default `crypto.randomUUID`. */
  readonly newRunId?: () => string;
  /** Tracer for the `invoke_agent` and `execute_tool` spans. Default the global (no-op unless set) one. */
  readonly tracer?: Tracer;
  /**
   * Screens each tool result before the model sees it, for indirect prompt
   * injection: a flagged result reaches the model as `text` (quoted as
   * untrusted data) and its step lists the rules. Default none.
   */
  readonly screenToolResult?: (result: string) => { readonly flagged: boolean; readonly text: string; readonly ruleIds: readonly string[] };
  /** Observes each tool call, for metrics. Default none. */
  readonly onToolCall?: (record: { tool: string; outcome: "ok" | ToolCallErrorReason; durationS: number }) => void;
}

/** One run, with its limits already resolved against the server's caps. */
export interface RunRequest {
  /** The run's id. Default a new one from `newRunId`. */
  readonly runId?: string;
  readonly input: string;
  /**
   * Earlier turns of the conversation, oldest first, between the system
   * prompt and the input: what a run in a thread starts from. Default none.
   */
  readonly history?: readonly BaseMessage[];
  readonly maxIterations: number;
  readonly maxExecutionTimeMs: number;
  /** The run's cost budget in USD, checked before each model call: reached, the run stops with COST_LIMIT. 0 or unset: none. */
  readonly maxCostUsd?: number;
  /** W3C trace id of the run's trace. */
  readonly traceId: string;
  /** Whether the response cache may answer model turns. Default true. */
  readonly useCache?: boolean;
  /**
   * Whether model text is yielded as `textDelta` events while it arrives.
   * Default true. A consumer that only folds the events (`Execute`) says
   * false: the summary never depends on deltas, and a long answer then costs
   * no event per chunk.
   */
  readonly streamText?: boolean;
  /** The RPC's trace context; the run's spans are its children. Default the active context. */
  readonly traceContext?: Context;
  /** Logger carrying the caller's identity and the trace id; the run adds its run id. Default none. */
  readonly log?: Logger;
  /** The prompt version the run uses (the caller chose it). Default the executor's. */
  readonly prompt?: PromptVersion;
  /**
   * Continues a run from a state {@link RunRequest.onTurn} gave (on this
   * replica or another): its messages, turns and summary so far; `input`,
   * `history` and `prompt` are then not used again. The run still starts
   * with `runStarted`. Default: a new run.
   */
  readonly from?: RunState;
  /** Called after every model turn and its tool calls, with the run's state: what a pause would keep. */
  readonly onTurn?: (state: RunState) => void;
  /**
   * Asked before each model call with the messages it sends: reserves the
   * call against the run's budgets (a principal's tokens and cost), and
   * throws when they allow no further call. Default none.
   */
  readonly meter?: TurnMeter;
}

/** Runs agents as streams of events. */
export interface AgentExecutor {
  /** The model a run starts on (the gateway's primary). */
  readonly primaryModel: string;
  /** The id of the prompt version runs use when their request brings none. */
  readonly promptVersion: string;
  /**
   * Runs the agent loop and yields every event, ending with `runCompleted`.
   * Aborting `signal` stops every model call and tool at once and makes the
   * generator throw the signal's reason.
   */
  run(request: RunRequest, signal: AbortSignal): AsyncGenerator<StreamResponse, void, undefined>;
}

/**
 * Creates the agent executor: model turn, tool calls, repeat, within limits.
 *
 * A run's prompt version sets its model calls' temperature and output
 * tokens. When the version declares an output schema, the schema is sent
 * as the turn's output format (models with structured output get it as
 * `response_format`, on every turn, tools or not) and every final answer is
 * validated whatever the model: a valid one ends the run with its parsed
 * value as `structured_output`; an invalid one is recorded on its step
 * (`output_errors`) and goes back to the model with the errors, as one more
 * turn within the run's iterations, time and cost. A run that runs out of
 * them has no output and no structured output.
 */
export function createAgentExecutor(options: AgentExecutorOptions): AgentExecutor {
  const clock = options.clock ?? (() => performance.now());
  const newRunId = options.newRunId ?? randomUUID;
  const { gateway, tools, toolRunner } = options;
  const defaultPrompt = options.prompt;
  const primaryModel = gateway.modelNames[0] ?? "";
  const tracer = options.tracer ?? trace.getTracer("agent-service");

  async function* run(request: RunRequest, signal: AbortSignal): AsyncGenerator<StreamResponse, void, undefined> {
    signal.throwIfAborted();
    const started = clock();
    const prompt = request.prompt ?? defaultPrompt;
    const resumed = request.from === undefined ? undefined : copyRunState(request.from);
    const summary = resumed?.summary ?? createRunSummary();
    // Every event goes through the same fold that builds the final summary.
    const emit = (event: MessageInitShape<typeof StreamResponseSchema>["event"]): StreamResponse => {
      const message = create(StreamResponseSchema, { event });
      applyRunEvent(summary, message);
      return message;
    };

    const runId = request.runId ?? newRunId();
    const parent = request.traceContext ?? context.active();
    const span = tracer.startSpan(
      "invoke_agent agent-service",
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          "gen_ai.operation.name": "invoke_agent",
          "gen_ai.agent.name": "agent-service",
          "gen_ai.request.model": primaryModel,
          "agent.run_id": runId,
          "agent.prompt_version": prompt.id,
          "agent.max_iterations": request.maxIterations,
        },
      },
      parent,
    );
    const runContext = trace.setSpan(parent, span);
    const log = request.log?.child({ run_id: runId });

    const budget = createRunBudget(signal, request.maxExecutionTimeMs);
    // A chain is offered no tool; an agent its prompt's own, when it names them, or every registered one.
    const allowed = prompt.kind === "chain" ? new Set<string>() : prompt.tools.length === 0 ? undefined : new Set(prompt.tools);
    const messages: BaseMessage[] = resumed
      ? [...resumed.messages]
      : prompt.messages(request.input, request.history ?? []);
    // With an output schema, a final answer must validate; an invalid one goes back to the model as a turn like any other.
    const answerCheck = createAnswerCheck(prompt);
    const settings = { ...prompt.model, outputFormat: answerCheck?.outputFormat };
    const acceptsAnswer = answerCheck === undefined ? undefined : (text: string) => answerCheck.check(text).ok;
    let stopReason = StopReason.MAX_ITERATIONS;
    let output = "";
    let structuredOutput: JsonObject | undefined;
    // False while the loop runs; still false in `finally` only when the
    // consumer stopped reading (the caller went away) at a yield.
    let settled = false;
    // True when the loop ran to its end: every model call and tool call of the run was awaited.
    let completed = false;
    try {
      yield emit({
        case: "runStarted",
        value: {
          runId,
          traceId: request.traceId,
          model: primaryModel,
          promptVersion: prompt.id,
          maxIterations: request.maxIterations,
          maxExecutionTime: durationFromMs(request.maxExecutionTimeMs),
        },
      });

      for (let iteration = (resumed?.iteration ?? 0) + 1; iteration <= request.maxIterations; iteration++) {
        const maxCost = request.maxCostUsd ?? 0;
        if (maxCost > 0 && summary.costUsd >= maxCost) {
          stopReason = StopReason.COST_LIMIT;
          break;
        }
        let turn: ModelTurn | undefined;
        const offered = allowed === undefined ? tools.definitions() : tools.definitions().filter((tool) => allowed.has(tool.function.name));
        const ticket = await request.meter?.reserve(messages, offered);
        try {
          for await (const event of gateway.streamTurn({
            messages,
            tools: offered,
            signal: budget.signal,
            useCache: request.useCache,
            streamText: request.streamText,
            traceContext: runContext,
            log,
            settings,
            acceptsAnswer,
          })) {
            switch (event.type) {
              case "delta":
                yield emit({ case: "textDelta", value: { iteration, text: event.text } });
                break;
              case "restart":
                yield emit({
                  case: "stepRestarted",
                  value: { iteration, failedModel: event.failedModel, nextModel: event.nextModel, reason: event.reason },
                });
                break;
              case "completed":
                turn = event.turn;
                break;
            }
          }
        } finally {
          if (turn === undefined) {
            ticket?.release();
          } else {
            // A turn answered from the cache cost no model call.
            ticket?.settle(turn.cached ? { tokens: 0, costUsd: 0 } : { tokens: turn.usage.totalTokens, costUsd: turn.costUsd });
          }
        }
        if (turn === undefined) {
          throw new Error("the model gateway ended a turn without completing it");
        }
        // Only a final answer is checked, once, after the turn: never per chunk.
        const checked = turn.toolCalls.length === 0 ? answerCheck?.check(turn.text) : undefined;
        const outputErrors = checked?.ok === false ? checked.errors : [];
        yield emit({ case: "modelCallFinished", value: { iteration, call: modelCallOf(turn, outputErrors) } });

        if (turn.toolCalls.length === 0) {
          if (checked?.ok === false && answerCheck !== undefined) {
            // Within the run's limits, like any turn: out of iterations, the run stops without an answer.
            messages.push(new AIMessage(turn.text));
            messages.push(answerCheck.correction(checked.errors));
            request.onTurn?.({ iteration, messages: [...messages], summary: clone(ExecuteResponseSchema, summary) });
            continue;
          }
          if (turn.text.trim() !== "") {
            stopReason = StopReason.FINAL_ANSWER;
            output = turn.text;
            structuredOutput = checked?.ok === true ? checked.value : undefined;
            break;
          }
          // An empty turn is malformed output: tell the model instead of failing the run.
          messages.push(new AIMessage(""));
          messages.push(new HumanMessage("Error: your reply was empty. Answer the task, or call one of the tools."));
          request.onTurn?.({ iteration, messages: [...messages], summary: clone(ExecuteResponseSchema, summary) });
          continue;
        }

        // A model that ignored the abort must not get its tools run.
        budget.signal.throwIfAborted();
        messages.push(assistantMessageOf(turn));
        for (const call of turn.toolCalls) {
          yield emit({
            case: "toolCallStarted",
            value: { iteration, callId: call.id, name: call.name, arguments: call.arguments },
          });
        }
        // Calls of one turn run concurrently; each is reported as it finishes.
        const pending = new Map(
          turn.toolCalls.map((call) => [
            call.id,
            runTool(call, budget.signal, runContext, log).then((outcome) => ({ call, outcome })),
          ]),
        );
        const results = new Map<string, ToolCall>();
        while (pending.size > 0) {
          const { call, outcome } = await Promise.race(pending.values());
          pending.delete(call.id);
          const record = toolCallOf(call, outcome);
          const screened = outcome.status === "ok" ? options.screenToolResult?.(record.result) : undefined;
          if (screened?.flagged === true) {
            // Neutralised, not dropped: the agent may still need the data, as data.
            record.result = screened.text;
            record.injectionRules = [...screened.ruleIds];
            log?.warn({ tool: call.name, call_id: call.id, rules: screened.ruleIds }, "a tool result looks like a prompt injection: given to the model as quoted, untrusted data");
          }
          results.set(call.id, record);
          yield emit({ case: "toolCallFinished", value: { iteration, call: record } });
        }
        for (const call of turn.toolCalls) {
          const record = results.get(call.id);
          messages.push(new ToolMessage({ content: record?.result ?? "", tool_call_id: call.id, name: call.name }));
        }
        request.onTurn?.({ iteration, messages: [...messages], summary: clone(ExecuteResponseSchema, summary) });
      }
      settled = true;
      completed = true;
    } catch (err) {
      settled = true;
      // The run's own time limit ends the run with what it has; the caller's
      // cancellation or deadline, and real failures, propagate.
      if (!isRunTimeLimitError(budget.signal.reason) || signal.aborted) {
        span.setAttribute("error.type", signal.aborted ? "canceled" : err instanceof Error ? err.name : "Error");
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        span.end();
        throw err;
      }
      stopReason = StopReason.TIME_LIMIT;
    } finally {
      if (completed) {
        budget.release();
      } else {
        budget.dispose();
      }
      if (!settled) {
        span.setAttribute("error.type", "canceled");
        span.setStatus({ code: SpanStatusCode.ERROR, message: "the caller stopped reading" });
        span.end();
      }
    }

    endRunSummary(summary, { stopReason, output, structuredOutput, durationMs: clock() - started });
    span.setAttributes({
      "agent.stop_reason": StopReason[stopReason].toLowerCase(),
      "agent.iterations": summary.iterations,
      "gen_ai.response.model": summary.model,
      "gen_ai.usage.input_tokens": summary.usage?.inputTokens ?? 0,
      "gen_ai.usage.output_tokens": summary.usage?.outputTokens ?? 0,
      "agent.cost_usd": summary.costUsd,
      "agent.fallback_used": summary.fallbackUsed,
    });
    span.end();
    yield create(StreamResponseSchema, { event: { case: "runCompleted", value: { result: summary } } });
  }

  /** Runs one tool call in its own `execute_tool` span, and logs it. */
  async function runTool(call: RequestedToolCall, signal: AbortSignal, runContext: Context, log: Logger | undefined) {
    const span = tracer.startSpan(
      `execute_tool ${call.name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": call.name,
          "gen_ai.tool.call.id": call.id,
          "gen_ai.tool.type": "function",
        },
      },
      runContext,
    );
    const spanId = span.spanContext().spanId;
    try {
      // Inside the span's context, so a tool's own calls continue the trace.
      const outcome = await context.with(trace.setSpan(runContext, span), () => toolRunner.run(call, signal));
      const result = outcome.status === "ok" ? "ok" : outcome.reason;
      if (outcome.status === "error") {
        span.setAttribute("error.type", outcome.reason);
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
      }
      options.onToolCall?.({ tool: call.name, outcome: result, durationS: outcome.durationMs / 1000 });
      log?.info(
        { span_id: spanId, tool: call.name, call_id: call.id, outcome: result, duration_ms: Math.round(outcome.durationMs) },
        "tool call",
      );
      return outcome;
    } catch (err) {
      span.setAttribute("error.type", "canceled");
      span.setStatus({ code: SpanStatusCode.ERROR, message: "the run was stopped" });
      throw err;
    } finally {
      span.end();
    }
  }

  return { primaryModel, promptVersion: defaultPrompt.id, run };
}

function modelCallOf(turn: ModelTurn, outputErrors: readonly string[]) {
  return create(ModelCallSchema, {
    model: turn.model,
    text: turn.text,
    toolCallIds: turn.toolCalls.map((c) => c.id),
    usage: create(UsageSchema, turn.usage),
    attempt: turn.attempt,
    fallback: turn.position > 0,
    finishReason: turn.finishReason,
    duration: durationFromMs(Math.round(turn.durationMs)),
    cached: turn.cached,
    costUsd: turn.costUsd,
    outputErrors: [...outputErrors],
  });
}

const statusOfError: Record<Extract<ToolCallOutcome, { status: "error" }>["reason"], ToolCallStatus> = {
  unknown_tool: ToolCallStatus.UNKNOWN_TOOL,
  invalid_arguments: ToolCallStatus.INVALID_ARGUMENTS,
  timeout: ToolCallStatus.TIMEOUT,
  failed: ToolCallStatus.FAILED,
};

function toolCallOf(call: RequestedToolCall, outcome: ToolCallOutcome): ToolCall {
  return create(ToolCallSchema, {
    callId: call.id,
    name: call.name,
    arguments: call.arguments,
    status: outcome.status === "ok" ? ToolCallStatus.OK : statusOfError[outcome.reason],
    result: outcome.status === "ok" ? outcome.result : outcome.message,
    duration: durationFromMs(Math.round(outcome.durationMs)),
  });
}

/**
 * The assistant turn as the model will see it next time. Arguments that are
 * not a JSON object become `{}` here; the tool's error message quotes what the
 * model actually sent, so nothing is hidden from it.
 */
function assistantMessageOf(turn: ModelTurn): AIMessage {
  return new AIMessage({
    content: turn.text,
    tool_calls: turn.toolCalls.map((call) => ({
      id: call.id,
      name: call.name,
      args: parseArguments(call.arguments),
      type: "tool_call" as const,
    })),
  });
}

function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
