import type { DynamicStructuredTool } from "@langchain/core/tools";
import type { AgentTool } from "../agent-tool.js";
import { ToolRegistrationError } from "../tool-registration-error.js";
import { argumentsSchemaOf } from "./json-schema-arguments.js";
import { McpServerUnavailableError } from "./mcp-errors.js";
import { toolOutputText } from "./mcp-tool-output.js";

/**
 * Time the MCP SDK's own request timeout gives a call beyond the tool's, so that the runner's
 * timeout, which reports the call to the model as one, always fires first.
 */
const sdkTimeoutSlackMs = 1_000;

/** What {@link createMcpAgentTool} needs. */
export interface McpAgentToolOptions {
  /** The name the model calls it by: the server's prefix and the server's name for it. */
  readonly name: string;
  /** The tool as `@langchain/mcp-adapters` loaded it, bound to the server's current connection. */
  readonly tool: DynamicStructuredTool;
  /** The server it belongs to. */
  readonly serverName: string;
  /** Its per-call timeout; the runner's default when undefined. */
  readonly timeoutMs: number | undefined;
  /** Whether its server is connected right now. */
  readonly isConnected: () => boolean;
  /** Called when a call failed other than by the caller's signal: the server may have gone away. */
  readonly onCallFailed: () => void;
}

/**
 * An MCP server's tool as an agent tool, so that the tool runner gives it what it gives every tool:
 * its arguments validated against the server's JSON Schema (the schema the model is shown, as the
 * adapters simplify it for models), the timeout, the run's signal (which cancels the request on
 * the server), and its errors fed back to the model. Throws a {@link ToolRegistrationError} when
 * the schema is not a JSON Schema that compiles.
 */
export function createMcpAgentTool(options: McpAgentToolOptions): AgentTool<Record<string, unknown>> {
  const { name, tool, serverName, timeoutMs } = options;
  const parameters = jsonSchemaOf(tool, name);
  let schema: AgentTool<Record<string, unknown>>["schema"];
  try {
    schema = argumentsSchemaOf(parameters);
  } catch (error) {
    throw new ToolRegistrationError(
      `tool "${name}" of MCP server "${serverName}" has an input schema that does not compile: ${error instanceof Error ? error.message : String(error)}`,
      "invalid_schema",
      name,
      { cause: error },
    );
  }
  const agentTool: AgentTool<Record<string, unknown>> = {
    name,
    description: tool.description,
    schema,
    parameters,
    async invoke(args, context) {
      if (!options.isConnected()) {
        throw new McpServerUnavailableError(serverName);
      }
      try {
        const content: unknown = await tool.invoke(args, {
          signal: context.signal,
          ...(timeoutMs === undefined ? {} : { metadata: { timeoutMs: timeoutMs + sdkTimeoutSlackMs } }),
        });
        return toolOutputText(content);
      } catch (error) {
        if (!context.signal.aborted) {
          options.onCallFailed();
        }
        throw error;
      }
    },
  };
  return Object.freeze(timeoutMs === undefined ? agentTool : { ...agentTool, timeoutMs });
}

/** The adapters give an MCP tool its server's JSON Schema as a plain object (never a zod schema). */
function jsonSchemaOf(tool: DynamicStructuredTool, name: string): Readonly<Record<string, unknown>> {
  const schema: unknown = tool.schema;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema) || "_zod" in schema || "_def" in schema) {
    throw new ToolRegistrationError(`tool "${name}" came without a JSON Schema of its arguments`, "invalid_schema", name);
  }
  return schema as Readonly<Record<string, unknown>>;
}
