// The agent service as a library (`agent-service/server`): what a deployment needs to start the
// service from its own process, with its own tools and prompts. The README's "Extending" says how.

// Starting and stopping the service.
export { startAgentService } from "./service.js";
export type { AgentServiceRuntimeOptions, RunningAgentService } from "./service.js";
export { StartupError, isStartupError } from "./startup-error.js";

// Configuration, from the environment as the process entry reads it.
export { loadConfig, ConfigError, isConfigError } from "./config.js";
export type { Config, ModelSettings } from "./config.js";

// The service's JSON logger.
export { createLogger, createLogDestination } from "./logger.js";
export type { LoggerOptions, LogDestination, LogDestinationOptions } from "./logger.js";

// Tools: defining a deployment's own, and the built-in ones to add them to.
export {
  defineTool,
  createBuiltinTools,
  createCalculatorTool,
  createCurrentTimeTool,
  createInventoryLookupTool,
  bundledCatalogue,
  ToolRegistrationError,
  isToolRegistrationError,
} from "./agent/tools/index.js";
export type {
  AgentTool,
  AgentToolConfig,
  ToolArgs,
  ToolContext,
  BuiltinToolsOptions,
  CurrentTimeToolOptions,
  InventoryLookupToolOptions,
  CatalogueItem,
  ToolRegistrationErrorReason,
} from "./agent/tools/index.js";

// Prompts: a deployment's own, given in code, and the built-in default.
export type { PromptDeclaration, PromptDefinition } from "./prompts/prompt-declaration.js";
export type {
  PromptContent,
  PromptKind,
  PromptRole,
  PromptMessageTemplate,
  PromptModelSettings,
  JsonObject,
  JsonValue,
} from "./prompts/prompt-content.js";
export { defaultPromptContent, defaultPromptName } from "./prompts/prompt-version.js";

// MCP servers whose tools the agent calls: `Config.mcpServers` holds them (read from
// AGENT_MCP_SERVERS_FILE by `loadConfig`, or set in code), and a tool of a server that is down
// fails its call with this error.
export type { McpServerSettings, McpValueSetting } from "./mcp-servers-file.js";
export { McpServerUnavailableError, isMcpServerUnavailableError } from "./agent/tools/mcp/index.js";
