/**
 * The agent's tool layer: tools, their registry, and the runner that calls them safely
 * (validated arguments, a timeout per call, one cancellation signal, errors fed back to the model).
 */
export { defineTool } from "./agent-tool.js";
export type { AgentTool, AgentToolConfig, ToolArgs, ToolContext } from "./agent-tool.js";
export { isValidToolName, toolNamePattern } from "./tool-name.js";
export { ToolRegistrationError, isToolRegistrationError } from "./tool-registration-error.js";
export type { ToolRegistrationErrorReason } from "./tool-registration-error.js";
export type { ToolDefinition } from "./tool-definition.js";
export { createToolRegistry } from "./tool-registry.js";
export type { ToolRegistry } from "./tool-registry.js";
export { createToolRunner } from "./tool-runner.js";
export type { ToolRunner } from "./tool-runner.js";
export type { ToolRunnerOptions } from "./tool-runner-options.js";
export type { ToolCallErrorReason, ToolCallOutcome, ToolCallRequest } from "./tool-call.js";
export { createBuiltinTools } from "./builtin-tools.js";
export type { BuiltinToolsOptions } from "./builtin-tools.js";
export { createCalculatorTool } from "./calculator-tool.js";
export { createCurrentTimeTool } from "./current-time-tool.js";
export type { CurrentTimeToolOptions } from "./current-time-tool.js";
export { createInventoryLookupTool } from "./inventory-lookup-tool.js";
export type { InventoryLookupToolOptions } from "./inventory-lookup-tool.js";
export { bundledCatalogue } from "./inventory-catalogue.js";
export type { CatalogueItem } from "./inventory-catalogue.js";
