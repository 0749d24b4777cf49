import { setTimeout as delay } from "node:timers/promises";
import { ExponentialBackoff, type IBackoff } from "cockatiel";
import type { Logger } from "pino";
import { secretReader } from "../../../secret-source.js";
import type { AgentTool } from "../agent-tool.js";
import { callWithTimeout } from "../call-with-timeout.js";
import { isValidToolName } from "../tool-name.js";
import { isToolRegistrationError, ToolRegistrationError } from "../tool-registration-error.js";
import type { ToolRegistry } from "../tool-registry.js";
import { createMcpAgentTool } from "./mcp-agent-tool.js";
import { openMcpConnection, type McpConnection } from "./mcp-connection.js";
import { describeMcpFailure, scrubSecrets } from "./mcp-errors.js";
import type { ResolvedMcpServerOptions } from "./mcp-server-options.js";

/**
 * Where an MCP server stands.
 *
 * - `connecting`: the first attempt since start-up is under way.
 * - `connected`: its tools are registered and offered to the model.
 * - `unavailable`: it could not be reached, stopped answering or went away; its tools are not
 *   offered, and the service is reconnecting with backoff.
 */
export type McpServerState = "connecting" | "connected" | "unavailable";

/** What Health reports of one MCP server. */
export interface McpServerStatus {
  readonly name: string;
  readonly transport: "stdio" | "http";
  readonly state: McpServerState;
  /** Its tools offered to the model now: 0 unless connected. */
  readonly toolCount: number;
  /** Why the last attempt failed or the last connection ended, without secrets; undefined if none did. */
  readonly lastError: string | undefined;
}

/** What {@link createMcpServerLink} needs. */
export interface McpServerLinkOptions {
  readonly server: ResolvedMcpServerOptions;
  /** Where its tools are registered while it is connected, and unregistered when it is not. */
  readonly registry: ToolRegistry;
  /** How the service introduces itself to the server. */
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly logger: Logger;
  /** Told the names of the tools registered at each connection. Default none. */
  readonly onToolsRegistered?: (names: readonly string[]) => void;
}

/** The service's side of one MCP server: its connection, its tools in the registry, its health. */
export interface McpServerLink {
  /**
   * Makes the first attempt to connect and resolves when it ends, connected or not: a server that
   * cannot be reached is reported unavailable and retried in the background. Rejects with a
   * {@link ToolRegistrationError} (`duplicate_name`) when one of its tools has the name of a tool
   * already registered, which is a configuration mistake.
   */
  start(): Promise<void>;
  status(): McpServerStatus;
  /** Unregisters its tools, stops reconnecting and closes the connection (a stdio server's process with it). */
  close(): Promise<void>;
}

/** Longest line of a stdio server's standard error that is logged whole. */
const maxStderrLineChars = 1_000;

/**
 * Creates the link to one MCP server. While connected it pings the server every
 * `pingIntervalMs`, and at once after a transport error or a failed tool call; a ping that fails or
 * times out, or a stdio server that exits, marks the server unavailable: its tools leave the
 * registry (runs that do not need them go on), and attempts to reconnect follow with exponential,
 * jittered, capped backoff (cockatiel's decorrelated jitter). A connection that lasted less than the
 * cap keeps the backoff where it was, so that a server that crashes right after connecting is not
 * restarted in a tight loop. Each connection reads the server's header or environment values anew,
 * so a secret reread on SIGHUP is sent from the next connection on.
 */
export function createMcpServerLink(options: McpServerLinkOptions): McpServerLink {
  const { server, registry, logger } = options;
  const log = logger.child({ mcp_server: server.name });
  const closing = new AbortController();
  const backoffs = new ExponentialBackoff({ initialDelay: server.reconnect.initialDelayMs, maxDelay: server.reconnect.maxDelayMs });

  let state: McpServerState = "connecting";
  let lastError: string | undefined;
  /** Bumped at each connection and loss: callbacks of an older connection find it changed and do nothing. */
  let generation = 0;
  let connection: McpConnection | undefined;
  let connectedAt = 0;
  let registered: readonly string[] = [];
  let secretsInUse: readonly string[] = [];
  let pingTimer: NodeJS.Timeout | undefined;
  let pinging = false;
  let backoff: IBackoff<unknown> | undefined;
  /** The open under way, awaited by close so that no process outlives it. */
  let opening: Promise<unknown> | undefined;
  let reconnecting: Promise<void> | undefined;
  let starting: Promise<void> | undefined;
  let refreshing = false;
  /** The connection (generation) whose server said its tools changed, not listed again since. */
  let refreshWanted: number | undefined;
  /** The tools of {@link registered}, to offer again when a new list cannot be. */
  let offered: readonly AgentTool[] = [];

  const describe = (err: unknown) => describeMcpFailure(err, secretsInUse);

  /** One attempt: connect, initialize, list the tools, register them. */
  async function connect(): Promise<void> {
    const values = readValues(server);
    secretsInUse = Object.values(values);
    const current = ++generation;
    const attempt = await callWithTimeout(
      (signal) => {
        const open = openMcpConnection(
          {
            server,
            clientInfo: options.clientInfo,
            values,
            onClosed: () => lose(current, new Error(server.transport.kind === "stdio" ? "the server process exited" : "the server closed the connection")),
            onError: () => check(current),
            onToolsChanged: () => toolsChanged(current),
            onStderr: (line) => {
              // Without the values it was given: a server that prints its environment must not put a key in the logs.
              const said = scrubSecrets(line, secretsInUse);
              log.info({ stderr: said.length <= maxStderrLineChars ? said : `${said.slice(0, maxStderrLineChars)}…` }, "MCP server wrote to standard error");
            },
          },
          signal,
        );
        // Called at once, so close() always finds the latest open here.
        opening = open.catch(() => undefined);
        return open;
      },
      server.connectTimeoutMs,
      closing.signal,
    );
    if (attempt.timedOut) {
      throw new Error(`did not connect and list its tools within ${server.connectTimeoutMs} ms`);
    }
    const opened = attempt.value;
    if (closing.signal.aborted) {
      // Opened just as the link closed: close() may already have looked for a connection.
      await opened.close();
      throw closing.signal.reason;
    }
    try {
      register(toolsOf(opened.tools, current));
    } catch (err) {
      await opened.close();
      throw err;
    }
    connection = opened;
    connectedAt = Date.now();
    state = "connected";
    pingTimer = setInterval(() => check(current), server.pingIntervalMs).unref();
    log.info({ tools: registered }, `MCP server ${server.name} connected: ${registered.length} tools offered`);
    // Said while connecting, after the tools were listed: list them again now.
    if (refreshWanted === current) {
      toolsChanged(current);
    }
  }

  /** The connection's tools the agent may call, as agent tools, after the allow-list and the name rules. */
  function toolsOf(listedTools: McpConnection["tools"], current: number): AgentTool[] {
    const tools: AgentTool[] = [];
    const listed = new Set<string>();
    for (const tool of listedTools) {
      listed.add(tool.name);
      if (server.tools !== undefined && !server.tools.has(tool.name)) {
        continue;
      }
      const name = `${server.prefix}${tool.name}`;
      if (!isValidToolName(name)) {
        log.warn({ tool: name }, `MCP server ${server.name}: tool ${JSON.stringify(name)} is left out: a model can call only names of 1 to 64 letters, digits, "_" or "-"`);
        continue;
      }
      try {
        tools.push(
          createMcpAgentTool({
            name,
            tool,
            serverName: server.name,
            timeoutMs: server.timeoutMs,
            isConnected: () => generation === current && state === "connected",
            onCallFailed: () => check(current),
          }),
        );
      } catch (err) {
        if (!isToolRegistrationError(err)) {
          throw err;
        }
        log.warn({ tool: name, reason: err.message }, `MCP server ${server.name}: tool ${name} is left out: ${err.message}`);
      }
    }
    const missing = [...(server.tools ?? [])].filter((name) => !listed.has(name));
    if (missing.length > 0) {
      log.warn({ tools: missing }, `MCP server ${server.name} does not list the allowed tools ${missing.join(", ")}`);
    }
    return tools;
  }

  /** Registers all of `tools` or, when a name is taken, none. */
  function register(tools: readonly AgentTool[]): void {
    const taken = tools.find((tool) => registry.get(tool.name) !== undefined);
    if (taken !== undefined) {
      throw new ToolRegistrationError(
        `MCP server "${server.name}" has a tool named "${taken.name}", the name of a tool already registered (built in, or another server's); ` +
          'give the server a "prefix", or leave the tool out of its "tools"',
        "duplicate_name",
        taken.name,
      );
    }
    const names: string[] = [];
    const kept: AgentTool[] = [];
    for (const tool of tools) {
      try {
        registry.register(tool);
        names.push(tool.name);
        kept.push(tool);
      } catch (err) {
        if (!isToolRegistrationError(err)) {
          throw err;
        }
        log.warn({ tool: tool.name, reason: err.message }, `MCP server ${server.name}: tool ${tool.name} is left out: ${err.message}`);
      }
    }
    registered = names;
    offered = kept;
    options.onToolsRegistered?.(names);
  }

  /**
   * The server of connection `current` said its tools changed: list them again and offer the new
   * list in place of the old one, once connected (a change said while connecting is listed again
   * as soon as the connection is up). One listing at a time; a change said during one lists again
   * after it, for the newest connection. A listing that fails is a lost connection (the reconnect
   * lists them anyway); a new list that cannot be offered (a name that collides with another
   * tool) keeps the old one, with the error logged.
   */
  function toolsChanged(current: number): void {
    refreshWanted = current;
    if (!refreshing) {
      refreshing = true;
      void refreshTools()
        .catch((err: unknown) => log.error({ err }, `MCP server ${server.name}: listing its changed tools failed`))
        .finally(() => {
          refreshing = false;
        });
    }
  }

  async function refreshTools(): Promise<void> {
    while (refreshWanted !== undefined) {
      const current = refreshWanted;
      const open = connection;
      if (generation !== current) {
        // A connection since gone: the next one lists its tools anyway.
        refreshWanted = undefined;
        return;
      }
      if (open === undefined || state !== "connected") {
        // Still connecting: connect() lists them again once connected.
        return;
      }
      refreshWanted = undefined;
      let listed: McpConnection["tools"];
      try {
        listed = await open.listTools(server.connectTimeoutMs);
      } catch (err) {
        lose(current, err);
        continue;
      }
      if (generation !== current || state !== "connected") {
        continue;
      }
      const before = offered;
      unregisterAll();
      try {
        register(toolsOf(listed, current));
      } catch (err) {
        register(before);
        log.error({ reason: describe(err) }, `MCP server ${server.name} changed its tools, and they cannot be offered (${describe(err)}): its earlier tools stay offered`);
        continue;
      }
      log.info({ tools: registered }, `MCP server ${server.name} changed its tools: ${registered.length} tools offered`);
    }
  }

  function unregisterAll(): void {
    for (const name of registered) {
      registry.unregister(name);
    }
    registered = [];
    offered = [];
  }

  /** Pings now, unless a ping is under way; a failed ping loses the connection. */
  function check(current: number): void {
    const pinged = connection;
    if (pinging || pinged === undefined || generation !== current) {
      return;
    }
    pinging = true;
    pinged
      .ping(server.connectTimeoutMs)
      .catch((err: unknown) => lose(current, err))
      .finally(() => {
        pinging = false;
      });
  }

  /** The connection of `current` is gone: its tools leave the registry, and reconnecting starts. */
  function lose(current: number, reason: unknown): void {
    if (generation !== current || state !== "connected" || closing.signal.aborted) {
      return;
    }
    generation++;
    clearInterval(pingTimer);
    unregisterAll();
    const lost = connection;
    connection = undefined;
    state = "unavailable";
    lastError = describe(reason);
    log.warn({ reason: lastError }, `MCP server ${server.name} is unavailable (${lastError}): its tools are not offered until it is back`);
    void lost?.close();
    // A connection that did not last keeps the backoff growing; one that did starts it over.
    if (Date.now() - connectedAt >= server.reconnect.maxDelayMs) {
      backoff = undefined;
    }
    reconnect();
  }

  /** Attempts to connect after each backoff delay until one succeeds or the link closes. */
  function reconnect(): void {
    reconnecting = (async () => {
      while (!closing.signal.aborted) {
        backoff = backoff === undefined ? backoffs.next() : backoff.next(undefined);
        try {
          await delay(backoff.duration, undefined, { signal: closing.signal, ref: false });
          await connect();
          return;
        } catch (err) {
          if (closing.signal.aborted) {
            return;
          }
          lastError = describe(err);
          const collision = isToolRegistrationError(err);
          log[collision ? "error" : "warn"]({ reason: lastError }, `MCP server ${server.name}: reconnecting failed (${lastError}); trying again with backoff`);
        }
      }
    })();
  }

  async function start(): Promise<void> {
    try {
      await connect();
    } catch (err) {
      if (closing.signal.aborted) {
        return;
      }
      if (isToolRegistrationError(err)) {
        throw err;
      }
      state = "unavailable";
      lastError = describe(err);
      log.warn({ reason: lastError }, `MCP server ${server.name} is unavailable at start-up (${lastError}): its tools are not offered until it connects`);
      reconnect();
    }
  }

  return {
    start() {
      starting ??= start();
      return starting;
    },
    status: () => ({
      name: server.name,
      transport: server.transport.kind,
      state,
      toolCount: registered.length,
      lastError,
    }),
    async close() {
      closing.abort(new Error(`MCP server ${server.name} is closing`));
      generation++;
      clearInterval(pingTimer);
      unregisterAll();
      // Every attempt under way sees the abort and closes what it opened; then what is left is ours.
      await Promise.all([starting?.catch(() => undefined), reconnecting, opening]);
      const open = connection;
      connection = undefined;
      await open?.close();
    },
  };
}

/** The server's header (HTTP) or environment (stdio) values in force now. */
function readValues(server: ResolvedMcpServerOptions): Record<string, string> {
  const sources = server.transport.kind === "http" ? server.transport.headers : server.transport.env;
  return Object.fromEntries(Object.entries(sources ?? {}).map(([key, source]) => [key, secretReader(source)()]));
}
