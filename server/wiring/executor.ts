import type { Tracer } from "@opentelemetry/api";
import { createAgentExecutor, type AgentExecutor, type AgentExecutorOptions } from "../agent/agent-executor.js";
import { createBuiltinTools, createToolRegistry, createToolRunner, type AgentTool, type ToolRegistry } from "../agent/tools/index.js";
import type { ModelGateway } from "../model/model-gateway.js";
import { defaultPrompt } from "../prompts/prompt-version.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";

/** What {@link wireAgentExecutor} needs. */
export interface ExecutorWiringOptions {
  /** The tools the agent may call; default the built-in ones. */
  readonly tools: readonly AgentTool[] | undefined;
  /** Per tool call timeout. */
  readonly toolTimeoutMs: number;
  readonly gateway: ModelGateway;
  readonly tracer: Tracer;
  readonly metrics: ServiceMetrics;
  /** Screens each tool result for indirect prompt injection; default none. */
  readonly screenToolResult?: AgentExecutorOptions["screenToolResult"];
}

/** The executor, its tool registry, and the names of the tools it can call (what a prompt may list). */
export interface ExecutorParts {
  readonly executor: AgentExecutor;
  /** The tools runs are offered; MCP servers' tools join it while their servers are connected. */
  readonly tools: ToolRegistry;
  readonly toolNames: ReadonlySet<string>;
}

/** Builds the agent executor over the model gateway and the tool registry. */
export function wireAgentExecutor(options: ExecutorWiringOptions): ExecutorParts {
  const { gateway, tracer, metrics } = options;
  const tools = createToolRegistry(options.tools ?? createBuiltinTools());
  const executor = createAgentExecutor({
    gateway,
    tools,
    toolRunner: createToolRunner({ registry: tools, defaultTimeoutMs: options.toolTimeoutMs }),
    prompt: defaultPrompt,
    tracer,
    onToolCall: (call) => metrics.recordToolCall(call),
    ...(options.screenToolResult === undefined ? {} : { screenToolResult: options.screenToolResult }),
  });
  return { executor, tools, toolNames: new Set(tools.list().map((tool) => tool.name)) };
}
