import type { Attributes, Meter, ObservableCallback } from "@opentelemetry/api";
import {
  ATTR_AGENT_CACHE_OPERATION,
  ATTR_AGENT_CACHE_TIER,
  ATTR_AGENT_OUTCOME,
  ATTR_AGENT_PRINCIPAL,
  ATTR_AGENT_RESULT,
  ATTR_AGENT_STOP_REASON,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_RPC_METHOD,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_RPC_SYSTEM,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  METRIC_AGENT_CACHE_L2_ERRORS,
  METRIC_AGENT_RUN_STORE_DROPPED,
  METRIC_AGENT_IDEMPOTENCY_UNCHECKED,
  METRIC_AGENT_RUN_STORE_QUEUED,
  METRIC_AGENT_RUN_STORE_WRITES,
  ATTR_AGENT_RECORD_KIND,
  METRIC_AGENT_CACHE_LOOKUPS,
  METRIC_AGENT_COST,
  METRIC_AGENT_MODEL_BREAKER_STATE,
  METRIC_AGENT_MODEL_TIME_TO_FIRST_TOKEN,
  METRIC_AGENT_RUN_DURATION,
  METRIC_AGENT_RUNS_IN_FLIGHT,
  METRIC_AGENT_RUNS_QUEUED,
  METRIC_AGENT_TOKENS,
  METRIC_AGENT_TOOL_DURATION,
  METRIC_AGENT_TOOL_ERRORS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_RPC_SERVER_CALL_DURATION,
  METRIC_RPC_SERVER_REQUESTS,
  OTHER_VALUE,
  RPC_SYSTEM_VALUE_CONNECT_RPC,
} from "./semconv.js";
import type {
  BreakerReading,
  BreakerState,
  CacheL2Error,
  CacheLookup,
  ModelCall,
  RpcCall,
  RunFinished,
  TokenUsage,
  ToolCall,
} from "./service-metric-events.js";

/**
 * Records what the service does, one method per event. Every label takes a
 * value from a closed set, so the number of series stays bounded; the event
 * types document each set. Recording never throws and costs little when no
 * reader is configured.
 */
export interface ServiceMetrics {
  /** An RPC ended: `rpc.server.call.duration` and `rpc.server.requests`. */
  recordRpc(call: RpcCall): void;
  /** An agent run started executing: `agent.runs.in_flight` goes up. Pair with {@link runFinished}. */
  runStarted(): void;
  /**
   * The run of a {@link runStarted} ended, however it ended (call it from
   * `finally`): `agent.runs.in_flight` goes down, `agent.run.duration` is recorded.
   */
  runFinished(run: RunFinished): void;
  /**
   * One model call ended, cache hits and calls refused by an open breaker
   * included: `gen_ai.client.operation.duration`, and
   * `agent.model.time_to_first_token` when the call streamed.
   */
  recordModelCall(call: ModelCall): void;
  /** Tokens and cost of one model call: `gen_ai.client.token.usage`, `agent.tokens`, `agent.cost`. */
  recordTokens(usage: TokenUsage): void;
  /** One tool call ended: `agent.tool.duration`, and `agent.tool.errors` unless it succeeded. */
  recordToolCall(call: ToolCall): void;
  /** One response cache lookup: `agent.cache.lookups`. */
  recordCacheLookup(lookup: CacheLookup): void;
  /** A Redis operation of the cache failed or timed out: `agent.cache.l2.errors`. */
  recordCacheL2Error(error: CacheL2Error): void;
  /**
   * Reports `agent.model.breaker.state` (0 closed, 1 half-open, 2 open) per
   * model, calling `read` at each collection. Returns a function that stops it.
   */
  observeBreakers(read: () => readonly BreakerReading[]): () => void;
  /**
   * Reports `agent.runs.queued`, the runs waiting for an execution slot,
   * calling `read` at each collection. This is the signal an autoscaler
   * reads: a queue that stays above zero means the replicas are saturated.
   * Returns a function that stops it.
   */
  observeQueued(read: () => number): () => void;
  /** A batch of run records was written, or failed to be: `agent.run_store.writes` (in records). */
  recordRunStoreWrite(write: { readonly outcome: "ok" | "error"; readonly records: number }): void;
  /** Run records dropped because the recorder's queue was full: `agent.run_store.dropped`. */
  recordRunRecordsDropped(dropped: { readonly kind: "run" | "event"; readonly count: number }): void;
  /** Reports `agent.run_store.queued`, calling `read` at each collection. Returns a function that stops it. */
  observeRunStoreQueue(read: () => number): () => void;
  /** A run with an idempotency key went ahead without its check (the store was unreachable): `agent.idempotency.unchecked`. */
  idempotencyUnchecked(): void;
}

const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, "half-open": 1, open: 2 };

/** Creates the service's instruments on `meter` (see `createMetricsProvider`) and the functions recording them. */
export function createServiceMetrics(meter: Meter): ServiceMetrics {
  const rpcDuration = meter.createHistogram(METRIC_RPC_SERVER_CALL_DURATION, {
    description: "Duration of RPCs the server handled",
    unit: "s",
  });
  const rpcRequests = meter.createCounter(METRIC_RPC_SERVER_REQUESTS, {
    description: "RPCs the server handled",
    unit: "{request}",
  });
  const runDuration = meter.createHistogram(METRIC_AGENT_RUN_DURATION, {
    description: "Duration of agent runs, by why they stopped",
    unit: "s",
  });
  const runsInFlight = meter.createUpDownCounter(METRIC_AGENT_RUNS_IN_FLIGHT, {
    description: "Agent runs executing now",
    unit: "{run}",
  });
  const runsQueued = meter.createObservableGauge(METRIC_AGENT_RUNS_QUEUED, {
    description: "Agent runs waiting for an execution slot; the autoscaling signal",
    unit: "{run}",
  });
  const modelDuration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
    description: "Duration of model calls, by outcome",
    unit: "s",
  });
  const timeToFirstToken = meter.createHistogram(METRIC_AGENT_MODEL_TIME_TO_FIRST_TOKEN, {
    description: "Time from sending a streamed model request to its first token",
    unit: "s",
  });
  const tokenUsage = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
    description: "Tokens per model call, input and output",
    unit: "{token}",
  });
  const tokens = meter.createCounter(METRIC_AGENT_TOKENS, {
    description: "Tokens used, by model, type and principal",
    unit: "{token}",
  });
  const cost = meter.createCounter(METRIC_AGENT_COST, {
    description: "Cost of model calls by model and principal, from the configured prices",
    unit: "USD",
  });
  const breakerState = meter.createObservableGauge(METRIC_AGENT_MODEL_BREAKER_STATE, {
    description: "Circuit breaker state per model: 0 closed, 1 half-open, 2 open",
    unit: "1",
  });
  const toolDuration = meter.createHistogram(METRIC_AGENT_TOOL_DURATION, {
    description: "Duration of tool calls, by outcome",
    unit: "s",
  });
  const toolErrors = meter.createCounter(METRIC_AGENT_TOOL_ERRORS, {
    description: "Tool calls that did not succeed, by tool and error type",
    unit: "{error}",
  });
  const cacheLookups = meter.createCounter(METRIC_AGENT_CACHE_LOOKUPS, {
    description: "Response cache lookups by result (hit, miss, coalesced) and, for hits, tier",
    unit: "{lookup}",
  });
  const cacheL2Errors = meter.createCounter(METRIC_AGENT_CACHE_L2_ERRORS, {
    description: "Failed or timed-out Redis operations; the cache answered from memory instead",
    unit: "{error}",
  });

  const runStoreWrites = meter.createCounter(METRIC_AGENT_RUN_STORE_WRITES, {
    description: "Run records written to the store (outcome ok) or whose write failed and is retried (outcome error)",
    unit: "{record}",
  });
  const runStoreDropped = meter.createCounter(METRIC_AGENT_RUN_STORE_DROPPED, {
    description: "Run records dropped because the recorder's queue was full (the store was down too long)",
    unit: "{record}",
  });
  const idempotencyUnchecked = meter.createCounter(METRIC_AGENT_IDEMPOTENCY_UNCHECKED, {
    description: "Runs with an idempotency key that went ahead without its check, the run store being unreachable",
    unit: "{run}",
  });
  const runStoreQueued = meter.createObservableGauge(METRIC_AGENT_RUN_STORE_QUEUED, {
    description: "Run records waiting to be written to the store",
    unit: "{record}",
  });

  return {
    recordRunStoreWrite({ outcome, records }) {
      runStoreWrites.add(records, { [ATTR_AGENT_OUTCOME]: outcome });
    },
    recordRunRecordsDropped({ kind, count }) {
      runStoreDropped.add(count, { [ATTR_AGENT_RECORD_KIND]: kind });
    },
    idempotencyUnchecked() {
      idempotencyUnchecked.add(1);
    },
    observeRunStoreQueue(read) {
      const callback: ObservableCallback = (result) => {
        result.observe(read());
      };
      runStoreQueued.addCallback(callback);
      return () => runStoreQueued.removeCallback(callback);
    },
    recordRpc({ method, code, durationS }) {
      const attributes: Attributes = {
        [ATTR_RPC_SYSTEM]: RPC_SYSTEM_VALUE_CONNECT_RPC,
        [ATTR_RPC_METHOD]: method,
        [ATTR_RPC_RESPONSE_STATUS_CODE]: code,
      };
      rpcDuration.record(durationS, attributes);
      rpcRequests.add(1, attributes);
    },
    runStarted() {
      runsInFlight.add(1);
    },
    runFinished({ stopReason, durationS }) {
      runsInFlight.add(-1);
      runDuration.record(durationS, { [ATTR_AGENT_STOP_REASON]: stopReason });
    },
    recordModelCall({ model, outcome, errorType, durationS, timeToFirstTokenS }) {
      const attributes: Attributes = {
        [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
        [ATTR_GEN_AI_REQUEST_MODEL]: model,
        [ATTR_AGENT_OUTCOME]: outcome,
      };
      // `error.type` only on errors, as the conventions ask; `_OTHER` when the gateway could not classify it.
      if (outcome === "error") {
        attributes[ATTR_ERROR_TYPE] = errorType ?? OTHER_VALUE;
      }
      modelDuration.record(durationS, attributes);
      if (timeToFirstTokenS !== undefined) {
        timeToFirstToken.record(timeToFirstTokenS, { [ATTR_GEN_AI_REQUEST_MODEL]: model });
      }
    },
    recordTokens({ model, principal, inputTokens, outputTokens, costUsd }) {
      for (const [type, count] of [["input", inputTokens], ["output", outputTokens]] as const) {
        const attributes: Attributes = { [ATTR_GEN_AI_REQUEST_MODEL]: model, [ATTR_GEN_AI_TOKEN_TYPE]: type };
        tokenUsage.record(count, attributes);
        tokens.add(count, { ...attributes, [ATTR_AGENT_PRINCIPAL]: principal });
      }
      cost.add(costUsd, { [ATTR_GEN_AI_REQUEST_MODEL]: model, [ATTR_AGENT_PRINCIPAL]: principal });
    },
    recordToolCall({ tool, outcome, durationS }) {
      // An unknown tool's name came from the model, not from the registry: unbounded.
      const name = outcome === "unknown_tool" ? OTHER_VALUE : tool;
      toolDuration.record(durationS, { [ATTR_GEN_AI_TOOL_NAME]: name, [ATTR_AGENT_OUTCOME]: outcome });
      if (outcome !== "ok") {
        toolErrors.add(1, { [ATTR_GEN_AI_TOOL_NAME]: name, [ATTR_ERROR_TYPE]: outcome });
      }
    },
    recordCacheLookup(lookup) {
      cacheLookups.add(
        1,
        lookup.result === "hit"
          ? { [ATTR_AGENT_RESULT]: lookup.result, [ATTR_AGENT_CACHE_TIER]: lookup.tier }
          : { [ATTR_AGENT_RESULT]: lookup.result },
      );
    },
    recordCacheL2Error({ operation }) {
      cacheL2Errors.add(1, { [ATTR_AGENT_CACHE_OPERATION]: operation });
    },
    observeBreakers(read) {
      const callback: ObservableCallback = (result) => {
        for (const { model, state } of read()) {
          result.observe(BREAKER_STATE_VALUE[state], { [ATTR_GEN_AI_REQUEST_MODEL]: model });
        }
      };
      breakerState.addCallback(callback);
      return () => breakerState.removeCallback(callback);
    },
    observeQueued(read) {
      const callback: ObservableCallback = (result) => {
        result.observe(read());
      };
      runsQueued.addCallback(callback);
      return () => runsQueued.removeCallback(callback);
    },
  };
}

export type {
  BreakerReading,
  BreakerState,
  CacheL2Error,
  CacheLookup,
  ModelCall,
  ModelCallOutcome,
  RpcCall,
  RpcStatusCode,
  RunFinished,
  RunStopReason,
  TokenUsage,
  ToolCall,
  ToolCallOutcome,
} from "./service-metric-events.js";
