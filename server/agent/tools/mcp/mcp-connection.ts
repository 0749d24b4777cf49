import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { DynamicStructuredTool } from "@langchain/core/tools";
import { loadMcpTools } from "@langchain/mcp-adapters";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { ResolvedMcpServerOptions } from "./mcp-server-options.js";

/** One open connection to an MCP server, and the tools it listed when it opened. */
export interface McpConnection {
  /** The server's tools as LangChain tools (through `@langchain/mcp-adapters`), bound to this connection. */
  readonly tools: readonly DynamicStructuredTool[];
  /** Lists the server's tools again (after it said its list changed); rejects when it does not answer within `timeoutMs`. */
  listTools(timeoutMs: number): Promise<readonly DynamicStructuredTool[]>;
  /** Pings the server; rejects when it does not answer within `timeoutMs` or the connection is gone. */
  ping(timeoutMs: number): Promise<void>;
  /** Closes the connection (and stops a stdio server's process); never rejects. */
  close(): Promise<void>;
}

/** What {@link openMcpConnection} needs. */
export interface McpConnectionOptions {
  readonly server: ResolvedMcpServerOptions;
  /** How the service introduces itself to the server. */
  readonly clientInfo: { readonly name: string; readonly version: string };
  /** The values of the server's headers (HTTP) or environment (stdio), read for this connection. */
  readonly values: Readonly<Record<string, string>>;
  /** Called once when the connection ends without {@link McpConnection.close} (a stdio server exited). */
  readonly onClosed: () => void;
  /** Called on a transport error, which may or may not have ended the connection (an HTTP event stream broke). */
  readonly onError: (error: Error) => void;
  /** Each line a stdio server writes to its standard error. */
  readonly onStderr: (line: string) => void;
  /** The server said its list of tools changed (`notifications/tools/list_changed`). */
  readonly onToolsChanged: () => void;
}

/**
 * Connects to the server, initializes the MCP session and loads its tools. Aborting `signal`
 * closes the connection and rejects with its reason. A tool the adapters cannot convert is left
 * out rather than failing the connection.
 */
export async function openMcpConnection(options: McpConnectionOptions, signal: AbortSignal): Promise<McpConnection> {
  signal.throwIfAborted();
  const { server } = options;
  const transport = createTransport(options);
  const client = new Client({ ...options.clientInfo });
  let closing = false;
  const close = async (): Promise<void> => {
    closing = true;
    await client.close().catch(() => undefined);
  };
  client.onclose = () => {
    if (!closing) {
      closing = true;
      options.onClosed();
    }
  };
  client.onerror = (error) => {
    if (!closing) {
      options.onError(error);
    }
  };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    if (!closing) {
      options.onToolsChanged();
    }
  });
  // Closing is what stops a pending initialize or tools/list: the SDK's requests take no signal of ours.
  const abort = (): void => void close();
  signal.addEventListener("abort", abort, { once: true });
  try {
    await client.connect(transport, { signal });
    const tools = await loadMcpTools(server.name, client, { throwOnLoadError: false });
    signal.throwIfAborted();
    return {
      tools,
      async listTools(timeoutMs) {
        // The adapters' own tools/list takes no timeout: a server that does not answer is a lost one.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not list its tools within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          return await Promise.race([loadMcpTools(server.name, client, { throwOnLoadError: false }), timedOut]);
        } finally {
          clearTimeout(timer);
        }
      },
      async ping(timeoutMs) {
        await client.ping({ timeout: timeoutMs });
      },
      close,
    };
  } catch (err) {
    await close();
    throw signal.aborted ? signal.reason : err;
  } finally {
    signal.removeEventListener("abort", abort);
  }
}

function createTransport(options: McpConnectionOptions): Transport {
  const { transport } = options.server;
  if (transport.kind === "http") {
    return new StreamableHTTPClientTransport(new URL(transport.url), {
      requestInit: { headers: { ...options.values } },
      // The service reconnects itself, with its own backoff, and reports the server meanwhile; the
      // transport retrying a broken event stream on its own would hide that.
      reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1_000, maxReconnectionDelay: 1_000, reconnectionDelayGrowFactor: 1 },
    });
  }
  const stdio = new StdioClientTransport({
    command: transport.command,
    args: [...(transport.args ?? [])],
    env: { ...options.values },
    ...(transport.cwd === undefined ? {} : { cwd: transport.cwd }),
    stderr: "pipe",
  });
  // Available before the process starts (a pass-through, typed as a plain Stream), so no early line is lost.
  const stderr = stdio.stderr as Readable | null;
  if (stderr !== null) {
    createInterface({ input: stderr, crlfDelay: Infinity }).on("line", options.onStderr);
  }
  return stdio;
}
