import { context, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { BaseMessage } from "@langchain/core/messages";
import type { Logger } from "pino";
import type { CachedTurn } from "./cached-turn.js";
import { classifyModelFailure } from "./model-failure.js";
import type { BreakerState } from "./model-policy.js";

/**
 * How a model call ended: `ok` answered; `error` failed (see `errorType`);
 * `cache_hit` answered from the response cache without calling the model;
 * `circuit_open` refused by the model's open breaker without calling it.
 */
export type ModelCallOutcome = "ok" | "error" | "cache_hit" | "circuit_open";

/** One model call, as metrics see it. */
export interface ModelCallRecord {
  readonly model: string;
  readonly outcome: ModelCallOutcome;
  /** Low-cardinality error type (see `ModelFailureClass.errorType`), such as "503", "ECONNREFUSED" or "timeout". */
  readonly errorType?: string | undefined;
  readonly durationS: number;
  readonly timeToFirstTokenS?: number | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** What the gateway reports each model call to: spans, log lines, metrics. */
export interface ModelCallTelemetry {
  readonly tracer: Tracer;
  /** Called once per model call; default none. */
  readonly onCall?: ((record: ModelCallRecord) => void) | undefined;
  /** Wall clock in milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * When set, the prompt and the completion go on `chat` spans
   * (`gen_ai.input.messages`, `gen_ai.output.messages`) through this
   * redactor. Default unset: text never leaves in telemetry.
   */
  readonly contentRedactor?: ((text: string) => string) | undefined;
}

/** Where a call sits: which model, which attempt, in which run. */
export interface ModelCallScope {
  readonly model: string;
  readonly position: number;
  readonly attempt: number;
  readonly breaker: BreakerState;
  /** The run's trace context; the `chat` span is its child. */
  readonly traceContext: Context | undefined;
  /** The run's logger (trace id, run id, principal). */
  readonly log: Logger | undefined;
  /** The messages sent, recorded only when content recording is on. */
  readonly messages: readonly BaseMessage[];
  /** The sampling temperature sent: the turn's, else the model's. */
  readonly temperature: number;
  /** The output-token limit sent; undefined when the request sets none (the provider's). */
  readonly maxTokens: number | undefined;
}

/** The telemetry of one attempt in flight. */
export interface AttemptTelemetry {
  /** The context to make the HTTP call in, so its span is the `chat` span's child. */
  readonly context: Context;
  /** Marks the first streamed token. */
  firstToken(): void;
  succeeded(turn: CachedTurn, costUsd: number): void;
  /** `callerGone`: the caller canceled, which says nothing about the model. */
  failed(error: unknown, callerGone: boolean): void;
}

function baseAttributes(scope: ModelCallScope, cacheHit: boolean) {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": scope.model,
    "gen_ai.request.temperature": scope.temperature,
    ...(scope.maxTokens === undefined ? {} : { "gen_ai.request.max_tokens": scope.maxTokens }),
    "agent.model.attempt": scope.attempt,
    "agent.model.position": scope.position,
    "agent.model.fallback": scope.position > 0,
    "agent.breaker.state": scope.breaker,
    "agent.cache.hit": cacheHit,
  };
}

/** The prompt, redacted, as the GenAI conventions' JSON message list. */
function inputMessagesOf(messages: readonly BaseMessage[], redact: (text: string) => string): string {
  return JSON.stringify(
    messages.map((message) => ({
      role: message.getType(),
      content: redact(typeof message.content === "string" ? message.content : JSON.stringify(message.content)),
    })),
  );
}

/** The completion, redacted, as the GenAI conventions' JSON message list. */
function outputMessagesOf(turn: CachedTurn, redact: (text: string) => string): string {
  return JSON.stringify([
    {
      role: "assistant",
      content: redact(turn.text),
      tool_calls: turn.toolCalls.map((call) => ({ id: call.id, name: call.name, arguments: redact(call.arguments) })),
      finish_reason: turn.finishReason,
    },
  ]);
}

function setTurnAttributes(span: Span, turn: CachedTurn): void {
  span.setAttributes({
    "gen_ai.response.model": turn.responseModel,
    "gen_ai.response.finish_reasons": [turn.finishReason],
    "gen_ai.usage.input_tokens": turn.usage.inputTokens,
    "gen_ai.usage.output_tokens": turn.usage.outputTokens,
  });
}

/** Starts the `chat {model}` span of one attempt; the caller reports how it ends. */
export function startAttempt(telemetry: ModelCallTelemetry, scope: ModelCallScope): AttemptTelemetry {
  const now = telemetry.now ?? Date.now;
  const started = now();
  let firstTokenAt: number | undefined;
  const parent = scope.traceContext ?? context.active();
  const span = telemetry.tracer.startSpan(
    `chat ${scope.model}`,
    { kind: SpanKind.CLIENT, attributes: baseAttributes(scope, false) },
    parent,
  );
  if (telemetry.contentRedactor !== undefined && span.isRecording()) {
    span.setAttribute("gen_ai.input.messages", inputMessagesOf(scope.messages, telemetry.contentRedactor));
  }
  // A field of each line, not a child logger: a child costs more than the one or two lines it would write.
  const log = scope.log;
  const spanId = span.spanContext().spanId;
  const base = (outcome: ModelCallOutcome) => ({
    model: scope.model,
    outcome,
    durationS: (now() - started) / 1000,
    timeToFirstTokenS: firstTokenAt === undefined ? undefined : (firstTokenAt - started) / 1000,
  });
  return {
    context: trace.setSpan(parent, span),
    firstToken() {
      firstTokenAt ??= now();
    },
    succeeded(turn, costUsd) {
      setTurnAttributes(span, turn);
      if (telemetry.contentRedactor !== undefined && span.isRecording()) {
        span.setAttribute("gen_ai.output.messages", outputMessagesOf(turn, telemetry.contentRedactor));
      }
      span.end();
      const record = { ...base("ok"), inputTokens: turn.usage.inputTokens, outputTokens: turn.usage.outputTokens, costUsd };
      telemetry.onCall?.(record);
      log?.info(
        {
          span_id: spanId,
          model: scope.model,
          attempt: scope.attempt,
          outcome: "ok",
          latency_ms: Math.round(record.durationS * 1000),
          time_to_first_token_ms: record.timeToFirstTokenS === undefined ? undefined : Math.round(record.timeToFirstTokenS * 1000),
          input_tokens: turn.usage.inputTokens,
          output_tokens: turn.usage.outputTokens,
          finish_reason: turn.finishReason,
        },
        "model call",
      );
    },
    failed(error, callerGone) {
      const failure = classifyModelFailure(error);
      const errorType = callerGone ? "canceled" : failure.errorType;
      const reason = callerGone ? "canceled" : failure.description;
      span.setAttribute("error.type", errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: callerGone ? "the caller went away" : reason });
      span.end();
      const record = { ...base("error"), errorType, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      telemetry.onCall?.(record);
      log?.warn(
        {
          span_id: spanId,
          model: scope.model,
          attempt: scope.attempt,
          outcome: "error",
          error_type: errorType,
          reason,
          latency_ms: Math.round(record.durationS * 1000),
        },
        "model call",
      );
    },
  };
}

/** A turn answered by the cache or a shared call: a `chat` span without an HTTP call. */
export function recordCacheHit(telemetry: ModelCallTelemetry, scope: ModelCallScope, turn: CachedTurn, startedAt: number): void {
  const span = telemetry.tracer.startSpan(
    `chat ${scope.model}`,
    { kind: SpanKind.CLIENT, attributes: baseAttributes(scope, true), startTime: startedAt },
    scope.traceContext ?? context.active(),
  );
  span.setAttributes({ "gen_ai.response.model": turn.responseModel, "gen_ai.response.finish_reasons": [turn.finishReason] });
  span.end();
  const durationS = ((telemetry.now ?? Date.now)() - startedAt) / 1000;
  telemetry.onCall?.({ model: scope.model, outcome: "cache_hit", durationS, inputTokens: 0, outputTokens: 0, costUsd: 0 });
  scope.log?.info(
    { span_id: span.spanContext().spanId, model: scope.model, outcome: "cache_hit", latency_ms: Math.round(durationS * 1000) },
    "model call",
  );
}

/** A model skipped because its breaker is open: no call, but visible in the trace. */
export function recordCircuitOpen(telemetry: ModelCallTelemetry, scope: ModelCallScope): void {
  const span = telemetry.tracer.startSpan(
    `chat ${scope.model}`,
    { kind: SpanKind.CLIENT, attributes: { ...baseAttributes(scope, false), "error.type": "circuit_open" } },
    scope.traceContext ?? context.active(),
  );
  span.setStatus({ code: SpanStatusCode.ERROR, message: "circuit open: the model was skipped without a call" });
  span.end();
  telemetry.onCall?.({ model: scope.model, outcome: "circuit_open", errorType: "circuit_open", durationS: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
  scope.log?.warn({ span_id: span.spanContext().spanId, model: scope.model, outcome: "circuit_open" }, "model call");
}
