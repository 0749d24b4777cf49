import type { z } from "zod";

/**
 * What a tool receives besides its arguments.
 */
export interface ToolContext {
  /**
   * Aborts when the run is cancelled or this call's timeout elapses. Pass it on to any I/O the
   * tool does (`fetch(url, { signal })`); the runner stops waiting at that moment either way.
   */
  readonly signal: AbortSignal;
}

/**
 * A tool the agent may call.
 *
 * The runner validates the model's arguments against `schema` before `invoke` sees them, so
 * `invoke` can trust its `args`.
 */
export interface AgentTool<TArgs = unknown> {
  /** The name the model calls the tool by; must match `^[a-zA-Z0-9_-]{1,64}$`. */
  readonly name: string;
  /** Tells the model what the tool does and when to use it. */
  readonly description: string;
  /** The arguments schema; an object schema, since function arguments are a JSON object. */
  readonly schema: z.ZodType<TArgs>;
  /**
   * The JSON Schema of the arguments the model is shown, for a tool that came with one rather
   * than with a zod schema (an MCP server's tool); `schema` must then validate exactly what it
   * describes. Must be an object schema. Default: `schema`'s JSON Schema form.
   */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Per-call timeout in milliseconds; when absent the runner's `defaultTimeoutMs` applies. */
  readonly timeoutMs?: number;
  /**
   * Runs the tool and returns the text the model sees. Throw to report a failure: the error's
   * message is fed back to the model, so make it say what to change.
   */
  invoke(args: TArgs, context: ToolContext): Promise<string>;
}

/**
 * What {@link defineTool} takes: an {@link AgentTool} whose schema is a zod object schema, so the
 * type of `invoke`'s arguments is inferred from it.
 */
export interface AgentToolConfig<S extends z.ZodObject> {
  /** The name the model calls the tool by; must match `^[a-zA-Z0-9_-]{1,64}$`. */
  readonly name: string;
  /** Tells the model what the tool does and when to use it. */
  readonly description: string;
  /** The arguments schema. Field descriptions (`.describe()`) reach the model. */
  readonly schema: S;
  /** Per-call timeout in milliseconds; when absent the runner's `defaultTimeoutMs` applies. */
  readonly timeoutMs?: number;
  /** Runs the tool with validated arguments and returns the text the model sees. */
  invoke(args: ToolArgs<S>, context: ToolContext): Promise<string>;
}

/**
 * The arguments a tool with schema `S` receives: what `S` parses to, the same type as
 * `z.infer<S>`. Spelled through `_zod.output` because TypeScript can relate that form, unlike
 * `z.infer`'s conditional type, to `z.ZodType<…>` while `S` is still generic.
 */
export type ToolArgs<S extends z.ZodObject> = S["_zod"]["output"];

/**
 * Defines a tool, inferring the type of its arguments from its zod object schema.
 *
 * The name is checked when the tool is registered, not here, so that every way of building a
 * tool goes through the same check.
 */
export function defineTool<S extends z.ZodObject>(config: AgentToolConfig<S>): AgentTool<ToolArgs<S>> {
  const tool: AgentTool<ToolArgs<S>> = {
    name: config.name,
    description: config.description,
    schema: config.schema,
    invoke: (args, context) => config.invoke(args, context),
  };
  if (config.timeoutMs !== undefined) {
    return Object.freeze({ ...tool, timeoutMs: config.timeoutMs });
  }
  return Object.freeze(tool);
}
