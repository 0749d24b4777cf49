import type { AgentTool } from "./agent-tool.js";
import { isValidTimeoutMs } from "./call-with-timeout.js";
import { toToolDefinition, type ToolDefinition } from "./tool-definition.js";
import { isValidToolName } from "./tool-name.js";
import { ToolRegistrationError } from "./tool-registration-error.js";

/**
 * The tools an agent may call, by name.
 */
export interface ToolRegistry {
  /**
   * Adds a tool. Throws a {@link ToolRegistrationError} when the name is invalid or taken, the
   * timeout is not a positive number of milliseconds, or the schema is not a JSON-describable
   * object schema.
   */
  register(tool: AgentTool): void;
  /**
   * Removes the tool called `name`, so that it is no longer offered or called (the tools of an
   * MCP server that went away). Calls already under way finish. Returns whether it was there.
   */
  unregister(name: string): boolean;
  /** The tool called `name`, if there is one. */
  get(name: string): AgentTool | undefined;
  /** Every tool, in registration order. */
  list(): readonly AgentTool[];
  /**
   * The tools as OpenAI Chat Completions `tools` entries, in registration order. Computed when a
   * tool is registered, so calling this for every model request costs nothing. The entries are
   * shared between calls: treat them as read-only.
   */
  definitions(): readonly ToolDefinition[];
}

/**
 * Creates a tool registry holding `tools`, registered in order (so the same errors as
 * {@link ToolRegistry.register} apply).
 */
export function createToolRegistry(tools: readonly AgentTool[] = []): ToolRegistry {
  const entries = new Map<string, { tool: AgentTool; definition: ToolDefinition }>();
  let listed: readonly AgentTool[] = Object.freeze([]);
  let definitions: readonly ToolDefinition[] = Object.freeze([]);

  // Rebuilt on each change, not on read: changes are rare (start-up, an MCP server coming or going),
  // reads happen on every request. Only the lists are frozen: LangChain's ChatOpenAI writes
  // `function.strict` into the entries it is given when strict tool calling is on, and a frozen
  // entry would make that throw. A run holds the list it read, so a change never alters it mid-read.
  const rebuildLists = (): void => {
    listed = Object.freeze([...entries.values()].map((entry) => entry.tool));
    definitions = Object.freeze([...entries.values()].map((entry) => entry.definition));
  };

  const registry: ToolRegistry = {
    register(tool) {
      if (!isValidToolName(tool.name)) {
        throw new ToolRegistrationError(
          `tool name ${JSON.stringify(tool.name)} is invalid: use 1 to 64 letters, digits, "_" or "-"`,
          "invalid_name",
          tool.name,
        );
      }
      if (entries.has(tool.name)) {
        throw new ToolRegistrationError(
          `a tool named "${tool.name}" is already registered; tool names must be unique`,
          "duplicate_name",
          tool.name,
        );
      }
      if (tool.timeoutMs !== undefined && !isValidTimeoutMs(tool.timeoutMs)) {
        throw new ToolRegistrationError(
          `tool "${tool.name}" has timeoutMs ${tool.timeoutMs}; use a positive number of milliseconds up to 2147483647`,
          "invalid_timeout",
          tool.name,
        );
      }
      const definition = toToolDefinition(tool);
      entries.set(tool.name, { tool, definition });
      rebuildLists();
    },
    unregister(name) {
      const removed = entries.delete(name);
      if (removed) {
        rebuildLists();
      }
      return removed;
    },
    get: (name) => entries.get(name)?.tool,
    list: () => listed,
    definitions: () => definitions,
  };

  for (const tool of tools) {
    registry.register(tool);
  }
  return registry;
}
