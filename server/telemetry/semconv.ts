/**
 * Names of the service's instruments and of their attributes: the contract
 * dashboards and alerts are written against.
 *
 * Stable OpenTelemetry names are imported; unstable ("incubating") ones are
 * copied here, as `@opentelemetry/semantic-conventions` recommends, because
 * its incubating entry point may break in a minor release. Names under
 * `agent.` are the service's own, for what no convention covers.
 */
import { ATTR_ERROR_TYPE, ATTR_RPC_METHOD, METRIC_RPC_SERVER_CALL_DURATION } from "@opentelemetry/semantic-conventions";

export { ATTR_ERROR_TYPE, ATTR_RPC_METHOD, METRIC_RPC_SERVER_CALL_DURATION };

// RPC, with the names semantic conventions 1.45 made stable (`rpc.system`
// and `rpc.response.status_code` are their deprecated predecessors).

/** The RPC system; always {@link RPC_SYSTEM_VALUE_CONNECT_RPC} here. */
export const ATTR_RPC_SYSTEM = "rpc.system.name";
/** Value of {@link ATTR_RPC_SYSTEM} for Connect, gRPC and gRPC-Web served by connect-node. */
export const RPC_SYSTEM_VALUE_CONNECT_RPC = "connectrpc";
/** The Connect code name an RPC ended with, `ok` on success. */
export const ATTR_RPC_RESPONSE_STATUS_CODE = "rpc.status_code";
/** Number of RPCs the server answered. */
export const METRIC_RPC_SERVER_REQUESTS = "rpc.server.requests";

// GenAI client conventions (incubating).

/** Name of the GenAI operation; always {@link GEN_AI_OPERATION_NAME_VALUE_CHAT} here. */
export const ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
/** Value of {@link ATTR_GEN_AI_OPERATION_NAME} for chat completions. */
export const GEN_AI_OPERATION_NAME_VALUE_CHAT = "chat";
/** The model the service asked for, as named in its configuration. */
export const ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
/** Whether tokens were read (`input`) or written (`output`) by the model. */
export const ATTR_GEN_AI_TOKEN_TYPE = "gen_ai.token.type";
/** Name of a tool the agent called. */
export const ATTR_GEN_AI_TOOL_NAME = "gen_ai.tool.name";
/** Duration of one model call, in seconds. */
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = "gen_ai.client.operation.duration";
/** Tokens used per model call. */
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = "gen_ai.client.token.usage";

// The service's own attributes.

/** How an operation ended; each instrument documents its values. */
export const ATTR_AGENT_OUTCOME = "agent.outcome";
/** Why an agent run stopped. */
export const ATTR_AGENT_STOP_REASON = "agent.stop_reason";
/** Who called: an authenticated principal from the service's configuration. */
export const ATTR_AGENT_PRINCIPAL = "agent.principal";
/** Result of a response cache lookup. */
export const ATTR_AGENT_RESULT = "agent.result";
/** The response cache tier that answered a hit. */
export const ATTR_AGENT_CACHE_TIER = "agent.cache.tier";
/** The Redis cache operation that failed. */
export const ATTR_AGENT_CACHE_OPERATION = "agent.cache.operation";

// The service's own instruments.

/** Duration of one agent run, in seconds. */
export const METRIC_AGENT_RUN_DURATION = "agent.run.duration";
/** Agent runs executing now. */
export const METRIC_AGENT_RUNS_IN_FLIGHT = "agent.runs.in_flight";
/** Agent runs waiting for a slot. */
export const METRIC_AGENT_RUNS_QUEUED = "agent.runs.queued";
/** Time from sending a model request to its first streamed token, in seconds. */
export const METRIC_AGENT_MODEL_TIME_TO_FIRST_TOKEN = "agent.model.time_to_first_token";
/** State of each model's circuit breaker. */
export const METRIC_AGENT_MODEL_BREAKER_STATE = "agent.model.breaker.state";
/** Tokens used, summable per principal. */
export const METRIC_AGENT_TOKENS = "agent.tokens";
/** Cost of model calls, in US dollars. */
export const METRIC_AGENT_COST = "agent.cost";
/** Duration of one tool call, in seconds. */
export const METRIC_AGENT_TOOL_DURATION = "agent.tool.duration";
/** Tool calls that did not succeed. */
export const METRIC_AGENT_TOOL_ERRORS = "agent.tool.errors";
/** Response cache lookups. */
export const METRIC_AGENT_CACHE_LOOKUPS = "agent.cache.lookups";
/** Failed or timed-out Redis operations of the response cache. */
export const METRIC_AGENT_CACHE_L2_ERRORS = "agent.cache.l2.errors";
/** Batches of run records written to the store, by outcome (`ok`, `error`). */
export const METRIC_AGENT_RUN_STORE_WRITES = "agent.run_store.writes";
/** Run records not recorded because the recorder's queue was full, by kind (`run`, `event`). */
export const METRIC_AGENT_RUN_STORE_DROPPED = "agent.run_store.dropped";
/** Runs with an idempotency key that went ahead without its check, the store being unreachable. */
export const METRIC_AGENT_IDEMPOTENCY_UNCHECKED = "agent.idempotency.unchecked";
/** Run records waiting to be written. */
export const METRIC_AGENT_RUN_STORE_QUEUED = "agent.run_store.queued";
/** Kind of a run record: `run` or `event`. */
export const ATTR_AGENT_RECORD_KIND = "agent.record.kind";
/** Audit entries appended to the audit log, or whose append failed and is retried, by outcome (`ok`, `error`). */
export const METRIC_AGENT_AUDIT_WRITES = "agent.audit.writes";
/** Audit entries not recorded because the audit writer's queue was full. */
export const METRIC_AGENT_AUDIT_DROPPED = "agent.audit.dropped";
/** Audit entries waiting to be appended. */
export const METRIC_AGENT_AUDIT_QUEUED = "agent.audit.queued";
/**
 * Queries of the prompt store made to choose runs' prompts, by `agent.prompt.read`:
 * `generation` (the poll), `reload` (active versions and experiments, after a change),
 * `version` (a pinned version seen for the first time). Runs themselves add none.
 */
export const METRIC_AGENT_PROMPT_STORE_READS = "agent.prompt.store_reads";
/** What a prompt store read was: `generation`, `reload` or `version`. */
export const ATTR_AGENT_PROMPT_READ = "agent.prompt.read";
/** Canaries ended by the canary check, by `agent.prompt.decision` (`rollback`, `promote`). */
export const METRIC_AGENT_PROMPT_CANARY_DECISIONS = "agent.prompt.canary_decisions";
/** A canary check's decision. */
export const ATTR_AGENT_PROMPT_DECISION = "agent.prompt.decision";

/**
 * Attribute value standing for "anything not in the configured set", as the
 * RPC conventions prescribe for unknown methods. Keeps label sets bounded
 * when a caller or a model names something the service does not know.
 */
export const OTHER_VALUE = "_OTHER";
