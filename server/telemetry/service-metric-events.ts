/**
 * The events {@link ServiceMetrics} records, and the closed set of values
 * each label may take. A label whose values come from configuration (models,
 * tools, methods, principals) stays bounded only if callers pass configured
 * names; anything else is passed as `_OTHER`.
 *
 * Outcome and state values are the ones the model and agent layers define,
 * restated here because telemetry is a leaf that imports no layer (DESIGN.md,
 * "Layers"). They cannot drift apart: the composition root hands the layers'
 * records straight to {@link ServiceMetrics}, and
 * `server/wiring/metric-labels.test.ts` checks that each set equals the
 * layer's own.
 */

/**
 * `agent.outcome` of a model call, as the model layer reports it
 * (`ModelCallOutcome` of `server/model/model-call-telemetry.ts`): `ok`,
 * `error`, `cache_hit` (answered from the response cache), or `circuit_open`
 * (refused by the model's open breaker).
 */
export type ModelCallOutcome = "ok" | "error" | "cache_hit" | "circuit_open";

/** State of a model's circuit breaker (`BreakerState` of `server/model/model-policy.ts`). */
export type BreakerState = "closed" | "open" | "half-open";

/**
 * Why a tool call failed, as the tool runner reports it (`ToolCallErrorReason`
 * of `server/agent/tools/tool-call.ts`).
 */
type ToolCallErrorReason = "unknown_tool" | "invalid_arguments" | "timeout" | "failed";

/**
 * How an RPC ended: the Connect code name in snake_case, as on the wire
 * (`codeToString` of connect-es), or `ok`.
 */
export type RpcStatusCode =
  | "ok"
  | "canceled"
  | "unknown"
  | "invalid_argument"
  | "deadline_exceeded"
  | "not_found"
  | "already_exists"
  | "permission_denied"
  | "resource_exhausted"
  | "failed_precondition"
  | "aborted"
  | "out_of_range"
  | "unimplemented"
  | "internal"
  | "unavailable"
  | "data_loss"
  | "unauthenticated";

/** An RPC the server answered. */
export interface RpcCall {
  /**
   * `rpc.method`: the fully-qualified method of a registered procedure, such
   * as `agent.v1.AgentService/Execute` or `grpc.health.v1.Health/Check`; `_OTHER`
   * for a path no route matches (callers may send anything there).
   */
  readonly method: string;
  /** `rpc.response.status_code`. */
  readonly code: RpcStatusCode;
  /** From the request's arrival to the response's last byte, in seconds. */
  readonly durationS: number;
}

/** Why an agent run stopped: the `StopReason` of the API in snake_case. */
export type RunStopReason = "final_answer" | "max_iterations" | "time_limit" | "cost_limit" | "canceled" | "error";

/** An agent run that ended. */
export interface RunFinished {
  /** `agent.stop_reason`. */
  readonly stopReason: RunStopReason;
  /** From the run's start to its end, in seconds. */
  readonly durationS: number;
}

/** One call to one model: one attempt of the fallback chain. */
export interface ModelCall {
  /** `gen_ai.request.model`: a model name from the models configuration. */
  readonly model: string;
  /** `agent.outcome`. */
  readonly outcome: ModelCallOutcome;
  /**
   * `error.type`, recorded only when `outcome` is `error`: the provider's HTTP
   * status (such as `429`, `503`) or the error's class name (such as
   * `AttemptTimeoutError`, `APIConnectionError`); never a message. Default `_OTHER`.
   */
  readonly errorType?: string | undefined;
  /** In seconds; for a streamed call, until the stream ended. */
  readonly durationS: number;
  /** From sending the request to the first streamed token, in seconds; only for calls that streamed one. */
  readonly timeToFirstTokenS?: number | undefined;
}

/** Tokens and cost of one model call. */
export interface TokenUsage {
  /** `gen_ai.request.model`: a model name from the models configuration. */
  readonly model: string;
  /**
   * `agent.principal`: the authenticated caller, from the service's
   * configured principals (never a request field); `_OTHER` for a caller
   * outside that set, such as an unlisted token subject.
   */
  readonly principal: string;
  /** Prompt tokens the provider reported; `gen_ai.token.type` = `input`. */
  readonly inputTokens: number;
  /** Completion tokens the provider reported; `gen_ai.token.type` = `output`. */
  readonly outputTokens: number;
  /** Cost from the configured prices, in US dollars. */
  readonly costUsd: number;
}

/**
 * How a tool call ended: `ok`, or the tool runner's reason it did not
 * (`unknown_tool`, `invalid_arguments`, `timeout`, `failed`).
 */
export type ToolCallOutcome = "ok" | ToolCallErrorReason;

/** One tool call the agent made. */
export interface ToolCall {
  /**
   * `gen_ai.tool.name`: a registered tool's name. For `unknown_tool` the
   * name came from the model, so `_OTHER` is recorded instead.
   */
  readonly tool: string;
  /** `agent.outcome`; also `error.type` of `agent.tool.errors` when not `ok`. */
  readonly outcome: ToolCallOutcome;
  /** In seconds, argument validation included. */
  readonly durationS: number;
}

/**
 * A response cache lookup: `agent.result` (`hit`, `miss`, or `coalesced`:
 * it waited for an identical request in flight), and `agent.cache.tier`
 * (`l1` memory, `l2` Redis) for hits only.
 */
export type CacheLookup =
  | { readonly result: "hit"; readonly tier: "l1" | "l2" }
  | { readonly result: "miss" }
  | { readonly result: "coalesced" };

/** A failed or timed-out Redis operation of the response cache. */
export interface CacheL2Error {
  /** `agent.cache.operation`. */
  readonly operation: "get" | "set";
}


/** One model's breaker, as read at collection time. */
export interface BreakerReading {
  /** `gen_ai.request.model`: a model name from the models configuration. */
  readonly model: string;
  readonly state: BreakerState;
}
