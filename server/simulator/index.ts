/**
 * The model simulator: a deterministic, OpenAI-compatible chat completions server that can call
 * tools and inject faults. It is the built-in model when no provider is configured, and the model
 * behind integration tests and benchmarks.
 */
export { createSimulator } from "./simulator.js";
export { faultRuleSchema, faultRulesSchema } from "./fault-rule.js";
export { defaultSimulatorModels } from "./simulator-options.js";
export { longAnswer, maxLongAnswerChars } from "./long-answer.js";
export type { Simulator } from "./simulator.js";
export type { SimulatorOptions } from "./simulator-options.js";
export type { FaultKind, FaultRule } from "./fault-rule.js";
export type { SimulatorStats } from "./traffic-stats.js";
export type { SimulatorAbortEvent, SimulatorEventMap, SimulatorRequestEvent } from "./simulator-events.js";
export type { ChatMessage, ChatResponseFormat } from "./chat-request.js";
