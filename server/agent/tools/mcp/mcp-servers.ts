import type { Logger } from "pino";
import { isValidToolName } from "../tool-name.js";
import { ToolRegistrationError } from "../tool-registration-error.js";
import type { ToolRegistry } from "../tool-registry.js";
import { createMcpServerLink, type McpServerLink, type McpServerStatus } from "./mcp-server-link.js";
import { resolveMcpServerOptions, type McpServerOptions, type ResolvedMcpServerOptions } from "./mcp-server-options.js";

/** What {@link createMcpServers} needs. */
export interface McpServersOptions {
  /** The servers, in the order Health lists them. */
  readonly servers: readonly McpServerOptions[];
  /** The registry their tools join (holding the built-in tools already). */
  readonly registry: ToolRegistry;
  /** How the service introduces itself to the servers. */
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly logger: Logger;
  /** Told the names of a server's tools each time it connects. Default none. */
  readonly onToolsRegistered?: (names: readonly string[]) => void;
}

/** The MCP servers whose tools the agent may call. */
export interface McpServers {
  /**
   * Connects to every server at once and resolves when each first attempt has ended: a server
   * that is down is reported and retried in the background, and start-up goes on. Rejects with a
   * {@link ToolRegistrationError} when a tool's name cannot be used or is taken: an allowed tool
   * whose name (with the prefix) breaks the name rules or is another tool's, or a tool of a server
   * that connected with the name of a built-in tool or of another server's tool.
   */
  start(): Promise<void>;
  /** Each server's state, in configuration order. */
  status(): readonly McpServerStatus[];
  /** Closes every server's link: tools unregistered, connections and stdio processes closed. */
  close(): Promise<void>;
}

/** Creates the links to `options.servers`; nothing connects before {@link McpServers.start}. */
export function createMcpServers(options: McpServersOptions): McpServers {
  const servers = options.servers.map(resolveMcpServerOptions);
  const links: McpServerLink[] = servers.map((server) =>
    createMcpServerLink({
      server,
      registry: options.registry,
      clientInfo: options.clientInfo,
      logger: options.logger,
      ...(options.onToolsRegistered === undefined ? {} : { onToolsRegistered: options.onToolsRegistered }),
    }),
  );
  return {
    async start() {
      checkAllowedNames(servers, options.registry);
      const started = await Promise.allSettled(links.map((link) => link.start()));
      const failure = started.find((result) => result.status === "rejected");
      if (failure !== undefined) {
        throw failure.reason;
      }
    },
    status: () => links.map((link) => link.status()),
    async close() {
      await Promise.all(links.map((link) => link.close()));
    },
  };
}

/**
 * The names known before any server answers: each allowed tool's, with its server's prefix. A
 * clash among them, or with a tool already registered, is found here, before connecting.
 */
function checkAllowedNames(servers: readonly ResolvedMcpServerOptions[], registry: ToolRegistry): void {
  const owners = new Map<string, string>();
  for (const server of servers) {
    for (const tool of server.tools ?? []) {
      const name = `${server.prefix}${tool}`;
      if (!isValidToolName(name)) {
        throw new ToolRegistrationError(
          `MCP server "${server.name}" allows the tool ${JSON.stringify(name)}, a name a model cannot call: use 1 to 64 letters, digits, "_" or "-" with the prefix`,
          "invalid_name",
          name,
        );
      }
      const owner = owners.get(name) ?? (registry.get(name) === undefined ? undefined : "a built-in tool");
      if (owner !== undefined) {
        throw new ToolRegistrationError(
          `MCP server "${server.name}" allows the tool "${name}", which is also ${owner}; give the server a "prefix"`,
          "duplicate_name",
          name,
        );
      }
      owners.set(name, `a tool of MCP server "${server.name}"`);
    }
  }
}
