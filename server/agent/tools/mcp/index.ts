/**
 * Tools from MCP (Model Context Protocol) servers: each server's tools join the tool registry while
 * it is connected, as ordinary agent tools.
 */
export { createMcpServers } from "./mcp-servers.js";
export type { McpServers, McpServersOptions } from "./mcp-servers.js";
export type { McpServerOptions, McpTransportOptions } from "./mcp-server-options.js";
export type { McpServerState, McpServerStatus } from "./mcp-server-link.js";
export { McpServerUnavailableError, isMcpServerUnavailableError } from "./mcp-errors.js";
