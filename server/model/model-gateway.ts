import type { BaseMessage, AIMessageChunk } from "@langchain/core/messages";
import { context, trace, type Context } from "@opentelemetry/api";
import type { Logger } from "pino";
import { createAsyncQueue } from "./async-queue.js";
import type { ResponseCache } from "./cache/index.js";
import { isStorableTurn, turnCacheKey, type CachedTurn } from "./cached-turn.js";
import { EmptyResponseError, MidStreamError } from "./model-call-errors.js";
import { modelFailureOf, ModelsUnavailableError, type ModelFailure } from "./model-errors.js";
import { classifyModelFailure } from "./model-failure.js";
import { recordCacheHit, recordCircuitOpen, startAttempt, type ModelCallTelemetry } from "./model-call-telemetry.js";
import type { BreakerState, ModelPolicy } from "./model-policy.js";
import { createOutcomeWindow, type OutcomeStats } from "./outcome-window.js";
import type { PriceTable, TokenUsage } from "./pricing.js";
import { createTurnAccumulator } from "./turn-accumulator.js";
import { settingsForModel, type TurnSettings } from "./turn-settings.js";

/**
 * The part of a LangChain chat model the gateway uses: streaming with call
 * options. `ChatOpenAI` is one; tests pass a fake.
 */
export interface StreamingChatModel {
  stream(messages: BaseMessage[], options: ChatCallOptions): Promise<AsyncIterable<AIMessageChunk>>;
}

/** What one call of a {@link StreamingChatModel} is sent besides the messages. */
export interface ChatCallOptions {
  readonly signal: AbortSignal;
  readonly tools: FunctionToolDefinition[];
  /** The turn's settings for this model (its output format only if it has structured output); undefined when none are set. */
  readonly settings?: TurnSettings | undefined;
}

/** One model of the fallback chain. */
export interface GatewayModel {
  /** Model name as sent to the provider. */
  readonly name: string;
  /** The chat model that reaches it. */
  readonly chat: StreamingChatModel;
  /** Its resilience policy: timeouts, retries, circuit breaker. */
  readonly policy: ModelPolicy;
  /**
   * What makes its answers interchangeable (provider, name, sampling), for
   * the cache key; undefined when its answers must not be cached.
   */
  readonly cacheScope?: string | undefined;
  /**
   * Whether a turn that asks for a temperature above 0 may still be cached
   * (the models file's `cacheAnyTemperature`). Default false: a prompt that
   * samples gets fresh answers, like a model configured to sample.
   */
  readonly cacheSampled?: boolean | undefined;
  /**
   * Whether the model has a structured-output mode (OpenAI's `response_format`
   * with a JSON Schema), so a turn's output format is sent to it. Default false.
   */
  readonly structuredOutput?: boolean | undefined;
  /**
   * Its sampling temperature when a turn sets none (the models file's
   * `temperature`), as its chat model sends it; for the `chat` span. Default 0.
   */
  readonly temperature?: number | undefined;
}

/** Options for {@link createModelGateway}. */
export interface ModelGatewayOptions {
  /** Models in fallback order, primary first. At least one. */
  readonly models: readonly GatewayModel[];
  /** Prices for cost accounting. */
  readonly prices: PriceTable;
  /** Response cache; default none. */
  readonly cache?: ResponseCache<CachedTurn> | undefined;
  /** Spans and metrics of model calls; default spans on the global (no-op unless set) tracer. */
  readonly telemetry?: ModelCallTelemetry | undefined;
  /** Wall clock in milliseconds, for span times. Default `Date.now`. */
  readonly now?: () => number;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  readonly clock?: () => number;
}

/** A tool call the model asked for, with its arguments as raw JSON text. */
export interface RequestedToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** A completed model turn. */
export interface ModelTurn {
  readonly model: string;
  /** Position in the fallback chain; 0 is the primary. */
  readonly position: number;
  readonly attempt: number;
  readonly text: string;
  readonly toolCalls: readonly RequestedToolCall[];
  readonly usage: TokenUsage;
  readonly costUsd: number;
  readonly finishReason: string;
  readonly durationMs: number;
  /** True when answered from the cache or by an identical concurrent request's call: it cost nothing. */
  readonly cached: boolean;
}

/** What a model turn streams: text as it arrives, restarts, then the turn. */
export type ModelTurnEvent =
  | { readonly type: "delta"; readonly text: string }
  | { readonly type: "restart"; readonly failedModel: string; readonly nextModel: string; readonly reason: string }
  | { readonly type: "completed"; readonly turn: ModelTurn };

/** A tool offered to the model, in the OpenAI Chat Completions `tools` format. */
export interface FunctionToolDefinition {
  readonly type: "function";
  readonly function: {
    readonly name: string;
    readonly description: string;
    readonly parameters: Readonly<Record<string, unknown>>;
  };
}

/** A request for one model turn. */
export interface ModelTurnRequest {
  readonly messages: readonly BaseMessage[];
  readonly tools: readonly FunctionToolDefinition[];
  /** Aborts the turn and every HTTP call in it. */
  readonly signal: AbortSignal;
  /** Whether the response cache may answer. Default true. */
  readonly useCache?: boolean | undefined;
  /**
   * Whether text is yielded as `delta` events while it arrives. Default true.
   * False when only the completed turn matters (it holds the whole text): no
   * event per chunk, and restarts are still reported.
   */
  readonly streamText?: boolean | undefined;
  /** The run's trace context: model call spans are its children. Default the active context. */
  readonly traceContext?: Context | undefined;
  /** The run's logger; each model call logs a line. Default none. */
  readonly log?: Logger | undefined;
  /** Sampling settings and output format of the turn. Default the models' own, free text. */
  readonly settings?: TurnSettings | undefined;
  /**
   * Checks an answer (a turn without tool calls) the way its caller will:
   * one it refuses is not stored in the response cache, so a later run is not
   * handed the answer that failed. Default: every answer is kept.
   */
  readonly acceptsAnswer?: ((text: string) => boolean) | undefined;
}

/** The health of one model, for `Health` and probes. */
export interface ModelStatus {
  readonly name: string;
  readonly position: number;
  readonly breaker: BreakerState;
  /** Attempts in the last minute, and how many failed. */
  readonly recent: OutcomeStats;
  /** Why the last failed attempt failed, if any did. */
  readonly lastError: string | undefined;
}

/** What the gateway reports as it works, for logs and health. */
export type GatewayEvent =
  | { readonly type: "breaker"; readonly model: string; readonly state: BreakerState }
  | { readonly type: "retry"; readonly model: string; readonly attempt: number; readonly delayMs: number; readonly reason: string };

/** The one way the service calls models. */
export interface ModelGateway {
  /** Names of the configured models, primary first. */
  readonly modelNames: readonly string[];
  /** Each model's breaker state and recent error rate, primary first. */
  status(): readonly ModelStatus[];
  /** Subscribes to breaker changes and retries; returns the unsubscribe function. */
  subscribe(listener: (event: GatewayEvent) => void): () => void;
  /**
   * Streams one model turn. Tries the models in order, each under its policy
   * (retries, timeouts, breaker; a model whose breaker is open is skipped
   * without a call). A model that fails after streaming text is followed by a
   * `restart` event, and the text streamed before it is void. Throws
   * {@link ModelsUnavailableError} when every model failed, or the signal's
   * reason when it aborted.
   */
  streamTurn(request: ModelTurnRequest): AsyncGenerator<ModelTurnEvent, void, undefined>;
}

/**
 * Text deltas held between the model read and the caller. Small: a slow
 * caller should hold the model back, not grow a buffer here.
 */
const deltaBufferSize = 16;
const joinTexts = (texts: readonly string[]): string => texts.join("");

/** Creates the model gateway over a fallback chain of models. */
export function createModelGateway(options: ModelGatewayOptions): ModelGateway {
  if (options.models.length === 0) {
    throw new Error("the model gateway needs at least one model");
  }
  const clock = options.clock ?? (() => performance.now());
  const now = options.now ?? Date.now;
  const telemetry: ModelCallTelemetry = options.telemetry ?? { tracer: trace.getTracer("agent-service") };
  const { models, prices } = options;
  const windows = models.map(() => createOutcomeWindow());
  const lastErrors: (string | undefined)[] = models.map(() => undefined);
  const listeners = new Set<(event: GatewayEvent) => void>();
  for (const model of models) {
    model.policy.subscribe((event) => {
      const gatewayEvent: GatewayEvent =
        event.type === "breaker"
          ? { type: "breaker", model: model.name, state: event.state }
          : { type: "retry", model: model.name, attempt: event.attempt, delayMs: event.delayMs, reason: classifyModelFailure(event.error).description };
      listeners.forEach((listener) => listener(gatewayEvent));
    });
  }

  async function* streamTurn(request: ModelTurnRequest): AsyncGenerator<ModelTurnEvent, void, undefined> {
    const failures: ModelFailure[] = [];
    const streamText = request.streamText !== false;
    for (const [position, model] of models.entries()) {
      const started = clock();
      const startedAt = now();
      // Bounded, so a caller that reads slowly slows the read of the model's
      // answer (and its HTTP body, and TCP) instead of piling deltas up here.
      // Deltas that queued up while the caller was busy go out as one: under
      // load, a stream's cost follows its reads, not the model's chunks.
      const deltas = createAsyncQueue<string>({ capacity: deltaBufferSize, coalesce: joinTexts });
      // Aborted when this turn ends early (the consumer stopped reading):
      // nobody wants the call any more, unless a coalesced request shares it.
      const turnAbort = new AbortController();
      const onCallerAbort = () => turnAbort.abort(request.signal.reason);
      if (request.signal.aborted) {
        onCallerAbort();
      } else {
        request.signal.addEventListener("abort", onCallerAbort, { once: true });
      }
      let streamedText = false;
      // Only what this model supports: a fallback without structured output gets free text, validated all the same.
      const settings = settingsForModel(request.settings, model.structuredOutput === true);
      const scope = (attempt: number) => ({
        model: model.name,
        position,
        attempt,
        breaker: model.policy.breakerState(),
        traceContext: request.traceContext,
        log: request.log,
        messages: request.messages,
        temperature: settings?.temperature ?? model.temperature ?? 0,
        maxTokens: settings?.maxOutputTokens,
      });
      // The policy retries whole calls; deltas reach the caller as they come.
      // An open breaker rejects at once, without a call. `signal` is this
      // turn's, or the cache's when identical requests share the call.
      const callModel = (signal: AbortSignal) =>
        model.policy.execute(async ({ signal: attemptSignal, attempt, pauseClock }): Promise<CachedTurn> => {
          const observed = startAttempt(telemetry, scope(attempt));
          const accumulated = createTurnAccumulator();
          try {
            // Inside the attempt's context, the HTTP call's span is the `chat` span's child.
            await context.with(observed.context, async () => {
              const stream = await model.chat.stream([...request.messages], {
                signal: attemptSignal,
                tools: [...request.tools],
                settings,
              });
              for await (const chunk of stream) {
                const text = accumulated.add(chunk);
                if (text === "") {
                  continue;
                }
                observed.firstToken();
                streamedText = true;
                if (!streamText) {
                  continue;
                }
                if (!deltas.push(text)) {
                  // The caller is behind: stop reading the model until it catches up.
                  // That wait is the caller's, not the model's, so it is off the attempt's clock.
                  const resume = pauseClock();
                  try {
                    await deltas.drained(attemptSignal);
                  } finally {
                    resume();
                  }
                }
              }
            });
            if (accumulated.chunks === 0) {
              throw new EmptyResponseError();
            }
          } catch (err) {
            // A caller who went away says nothing about the model's health.
            const failure = attemptSignal.aborted && !signal.aborted ? attemptSignal.reason : err;
            observed.failed(failure, signal.aborted);
            if (!signal.aborted) {
              windows[position]?.record(false);
              lastErrors[position] = classifyModelFailure(failure).description;
            }
            throw streamedText ? new MidStreamError(err) : err;
          }
          windows[position]?.record(true);
          const turn = accumulated.turn(model.name, attempt);
          observed.succeeded(turn, prices.costOf(model.name, turn.usage));
          return turn;
        }, signal);

      const { cache } = options;
      const { acceptsAnswer } = request;
      // A prompt that samples is cached only where the deployment lets sampled answers be.
      const sampled = (settings?.temperature ?? 0) > 0 && model.cacheSampled !== true;
      // Inside the run's context, the cache's Redis commands are children of the run's span.
      const call: Promise<{ turn: CachedTurn; cached: boolean }> =
        cache !== undefined && model.cacheScope !== undefined && request.useCache !== false && !sampled
          ? context
              .with(request.traceContext ?? context.active(), () =>
                cache.getOrCompute(turnCacheKey(model.cacheScope ?? "", request.messages, request.tools, settings), callModel, {
                  signal: turnAbort.signal,
                  shouldStore: (turn) => isStorableTurn(turn) && (turn.toolCalls.length > 0 || acceptsAnswer === undefined || acceptsAnswer(turn.text)),
                }),
              )
              .then(({ value, source }) => ({ turn: value, cached: source !== "computed" }))
          : callModel(turnAbort.signal).then((turn) => ({ turn, cached: false }));
      call.then(
        () => deltas.close(),
        (err: unknown) => deltas.close(err),
      );
      let finished = false;
      try {
        for await (const text of deltas) {
          yield { type: "delta", text };
        }
        const { turn, cached } = await call;
        if (cached) {
          recordCacheHit(telemetry, scope(0), turn, startedAt);
          // A turn from the cache, or from an identical request's call, arrives whole.
          if (streamText && turn.text !== "") {
            yield { type: "delta", text: turn.text };
          }
        }
        const usage = cached ? { inputTokens: 0, outputTokens: 0, totalTokens: 0 } : turn.usage;
        finished = true;
        yield {
          type: "completed",
          turn: {
            model: model.name,
            position,
            attempt: cached ? 0 : turn.attempt,
            text: turn.text,
            toolCalls: turn.toolCalls,
            usage,
            costUsd: cached ? 0 : prices.costOf(model.name, usage),
            finishReason: turn.finishReason,
            durationMs: clock() - started,
            cached,
          },
        };
        return;
      } catch (err) {
        finished = true;
        if (request.signal.aborted) {
          throw request.signal.reason;
        }
        const failure = modelFailureOf(model.name, err);
        if (failure.kind === "circuit-open") {
          recordCircuitOpen(telemetry, scope(0));
        }
        failures.push(failure);
        const next = models[position + 1];
        if (streamedText && next !== undefined) {
          yield { type: "restart", failedModel: model.name, nextModel: next.name, reason: failure.reason };
        }
      } finally {
        request.signal.removeEventListener("abort", onCallerAbort);
        if (!finished) {
          // The consumer returned early, mid-turn: release the call and whatever it holds.
          turnAbort.abort(new Error("the model turn's consumer stopped reading"));
        }
      }
    }
    throw new ModelsUnavailableError(failures);
  }

  return {
    modelNames: models.map((m) => m.name),
    status: () =>
      models.map((model, position) => ({
        name: model.name,
        position,
        breaker: model.policy.breakerState(),
        recent: windows[position]?.stats() ?? { calls: 0, failures: 0, errorRate: 0 },
        lastError: lastErrors[position],
      })),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    streamTurn,
  };
}
