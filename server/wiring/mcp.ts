import type { Meter } from "@opentelemetry/api";
import type { Logger } from "pino";
import { isToolRegistrationError, type ToolRegistry } from "../agent/tools/index.js";
import { createMcpServers, type McpServerOptions, type McpServerState, type McpServerStatus } from "../agent/tools/mcp/index.js";
import type { Config } from "../config.js";
import type { McpValueSetting } from "../mcp-servers-file.js";
import type { SecretSource } from "../secret-source.js";
import { StartupError } from "../startup-error.js";
import type { Closers } from "./closers.js";

/** What {@link wireMcpServers} needs. */
export interface McpWiringOptions {
  readonly servers: Config["mcpServers"];
  /** The registry their tools join, with the built-in tools in it. */
  readonly registry: ToolRegistry;
  /** A server's call timeout when it sets none: `AGENT_TOOL_TIMEOUT_MS`. */
  readonly toolTimeoutMs: number;
  /** Reads a `{"env": NAME}` value at each connection (see `SecretParts.secret`). */
  readonly secret: (name: string, initial: string) => () => string;
  /** The service's version, told to the servers. */
  readonly version: string;
  readonly meter: Meter;
  readonly logger: Logger;
}

/** The MCP servers' state and the tool names they bring. */
export interface McpParts {
  /** Each server's state, for Health. */
  status(): readonly McpServerStatus[];
  /**
   * The names a prompt may list: the registry's at start-up, each server's allowed tools, and
   * every tool a server has registered since. Grows as servers connect.
   */
  readonly toolNames: ReadonlySet<string>;
}

const states: readonly McpServerState[] = ["connecting", "connected", "unavailable"];

/**
 * Starts the MCP servers of `AGENT_MCP_SERVERS_FILE` and waits for each first attempt to end
 * (at most its `connectTimeoutMs`): a server that is down does not stop the start-up, a tool name
 * that clashes does (a StartupError naming the file). Counts the servers by state as
 * `agent.mcp.servers`, and registers the closer that closes them, stdio processes with them.
 */
export async function wireMcpServers(options: McpWiringOptions, closers: Closers): Promise<McpParts> {
  const { registry, logger } = options;
  const toolNames = new Set(registry.list().map((tool) => tool.name));
  if (options.servers.length === 0) {
    return { status: () => [], toolNames };
  }
  for (const server of options.servers) {
    for (const tool of server.tools ?? []) {
      toolNames.add(`${server.prefix ?? ""}${tool}`);
    }
  }
  const servers = createMcpServers({
    servers: options.servers.map((server) => serverOptionsOf(server, options)),
    registry,
    clientInfo: { name: "agent-service", version: options.version },
    logger,
    onToolsRegistered: (names) => names.forEach((name) => toolNames.add(name)),
  });
  // Before starting: a server that connected before another's clash must be closed too.
  closers.push(() => servers.close());

  const gauge = options.meter.createObservableGauge("agent.mcp.servers", {
    description: "MCP servers by state (connecting, connected, unavailable)",
    unit: "{server}",
  });
  const observe = (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    const current = servers.status();
    for (const state of states) {
      result.observe(current.filter((server) => server.state === state).length, { "agent.mcp.state": state });
    }
  };
  gauge.addCallback(observe);
  closers.push(async () => gauge.removeCallback(observe));

  try {
    await servers.start();
  } catch (err) {
    if (isToolRegistrationError(err)) {
      throw new StartupError("AGENT_MCP_SERVERS_FILE", err.message, { cause: err });
    }
    throw err;
  }
  return { status: () => servers.status(), toolNames };
}

function serverOptionsOf(server: Config["mcpServers"][number], options: McpWiringOptions): McpServerOptions {
  const sources = (values: Readonly<Record<string, McpValueSetting>>): Record<string, SecretSource> =>
    Object.fromEntries(
      Object.entries(values).map(([key, value]) => {
        if (value.kind === "text") {
          return [key, value.text];
        }
        const read = options.secret(value.env, value.initial);
        return [key, () => `${value.prefix}${read()}`];
      }),
    );
  const { transport } = server;
  return {
    name: server.name,
    transport:
      transport.kind === "http"
        ? { kind: "http", url: transport.url, headers: sources(transport.headers) }
        : {
            kind: "stdio",
            command: transport.command,
            args: transport.args,
            env: sources(transport.env),
            ...(transport.cwd === undefined ? {} : { cwd: transport.cwd }),
          },
    // Always set, so that the MCP SDK's own request timeout (60 s) never cuts a longer one short.
    timeoutMs: server.timeoutMs ?? options.toolTimeoutMs,
    ...(server.tools === undefined ? {} : { tools: server.tools }),
    ...(server.prefix === undefined ? {} : { prefix: server.prefix }),
    ...(server.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: server.connectTimeoutMs }),
    ...(server.pingIntervalMs === undefined ? {} : { pingIntervalMs: server.pingIntervalMs }),
    reconnect: {
      ...(server.reconnect.initialDelayMs === undefined ? {} : { initialDelayMs: server.reconnect.initialDelayMs }),
      ...(server.reconnect.maxDelayMs === undefined ? {} : { maxDelayMs: server.reconnect.maxDelayMs }),
    },
  };
}
