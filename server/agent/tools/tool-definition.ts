import { z } from "zod";
import type { AgentTool } from "./agent-tool.js";
import { ToolRegistrationError } from "./tool-registration-error.js";

/**
 * One entry of an OpenAI Chat Completions `tools` list, which LangChain's `bindTools` accepts
 * as it is.
 */
export interface ToolDefinition {
  readonly type: "function";
  readonly function: {
    readonly name: string;
    readonly description: string;
    /** A JSON Schema object describing the arguments. */
    readonly parameters: Readonly<Record<string, unknown>>;
  };
}

/**
 * Describes `tool` for the model.
 *
 * The JSON Schema is the tool's `parameters` when it has them, else its zod schema's. Throws a
 * {@link ToolRegistrationError} when the schema has no JSON Schema form (a date, a transform's
 * output) or is not an object schema, so a bad tool fails at start-up rather than on the first
 * request.
 */
export function toToolDefinition(tool: AgentTool): ToolDefinition {
  if (tool.parameters !== undefined) {
    return definitionOf(tool, structuredClone(tool.parameters));
  }
  let parameters: Record<string, unknown>;
  try {
    // draft-07 is the dialect OpenAI documents for function parameters. The model writes what the
    // schema parses, so describe its input side: a field with a default stays optional.
    parameters = z.toJSONSchema(tool.schema, { target: "draft-07", io: "input" });
  } catch (error) {
    throw new ToolRegistrationError(
      `tool "${tool.name}" has a schema that cannot be described as JSON Schema: ${String(error)}`,
      "invalid_schema",
      tool.name,
      { cause: error },
    );
  }
  return definitionOf(tool, parameters);
}

function definitionOf(tool: AgentTool, parameters: Record<string, unknown>): ToolDefinition {
  if (parameters["type"] !== "object") {
    throw new ToolRegistrationError(
      `tool "${tool.name}" must take an object schema (z.object, or a JSON Schema of "type": "object"), because function arguments are a JSON object`,
      "invalid_schema",
      tool.name,
    );
  }
  // The dialect marker is noise in every request; providers do not read it.
  delete parameters["$schema"];
  return {
    type: "function",
    function: { name: tool.name, description: tool.description, parameters },
  };
}
