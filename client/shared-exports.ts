// What every entry of the SDK exports (Node.js and browser alike): the
// client's types, its errors, and the service's messages and enums. Each
// entry adds its own createAgentClient and options.
export type { AgentClient } from "./agent-client.js";
export type {
  CallOptions,
  GetRunOptions,
  GetThreadOptions,
  HeaderValues,
  HealthOptions,
  ListRunsOptions,
  RunOptions,
  SharedClientOptions,
  StreamOptions,
  WatchRunOptions,
} from "./client-options.js";
export type { PromptsClient } from "./prompts-client.js";
export type {
  ActivatePromptOptions,
  CanaryRulesInit,
  ExperimentArmInit,
  ExperimentResultsOptions,
  PromptContentInit,
  RegisterPromptOptions,
  StartExperimentOptions,
  StopExperimentOptions,
  SubmitFeedbackOptions,
} from "./prompt-options.js";
export { AgentServiceError, isAgentServiceError } from "./agent-error.js";
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
  CanaryMetric,
  ExperimentStatus,
  PromptKind,
  PromptRole,
  type ActivatePromptVersionResponse,
  type ArmComparison,
  type ArmResults,
  type CanaryRules,
  type CanaryStopRule,
  type Experiment,
  type ExperimentArm,
  type GetExperimentResultsResponse,
  type GetPromptResponse,
  type ListExperimentsResponse,
  type ListPromptsResponse,
  type ListPromptVersionsResponse,
  type MetricComparison,
  type PromptActivation,
  type PromptContent,
  type PromptMessage,
  type PromptVersion,
  type RegisterPromptResponse,
  type StartExperimentResponse,
  type StopExperimentResponse,
} from "../gen/agent/v1/prompt_service_pb.js";
export {
  RunStatus,
  type CancelRunResponse,
  type GetCallerResponse,
  type GetRunResponse,
  type GetThreadResponse,
  type ListRunsResponse,
  type Run,
  type RunEvent,
  type SubmitFeedbackResponse,
} from "../gen/agent/v1/run_service_pb.js";
