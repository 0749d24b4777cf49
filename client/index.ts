// The agent service's client SDK.
export { createAgentClient } from "./agent-client.js";
export type {
  AgentClient,
  AgentClientOptions,
  AgentProtocol,
  CallOptions,
  GetRunOptions,
  GetThreadOptions,
  HeaderValues,
  ListRunsOptions,
  HealthOptions,
  RunOptions,
  StreamOptions,
  WatchRunOptions,
} from "./agent-client.js";
export { AgentServiceError, isAgentServiceError } from "./agent-error.js";
export { createClientTraceInterceptor } from "./trace-interceptor.js";
export { Code } from "@connectrpc/connect";
export {
  CacheTierState,
  CircuitState,
  ServingStatus,
  type ExecuteResponse,
  type CacheHealth,
  type HealthResponse,
  type ModelHealth,
  type StreamResponse,
} from "../gen/agent/v1/agent_service_pb.js";
export { StopReason, ToolCallStatus, type ModelCall, type Step, type ToolCall, type Usage } from "../gen/agent/v1/run_pb.js";
export type { ErrorDetail, FieldViolation } from "../gen/agent/v1/errors_pb.js";
export {
  RunStatus,
  type CancelRunResponse,
  type GetRunResponse,
  type GetThreadResponse,
  type ListRunsResponse,
  type Run,
  type RunEvent,
} from "../gen/agent/v1/run_service_pb.js";
