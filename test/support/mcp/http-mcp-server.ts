import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { registerTestTools } from "./test-mcp-tools.js";

/** A real MCP server over streamable HTTP on a loopback port, which a test can stop and start again. */
export interface HttpMcpServer {
  /** Its MCP endpoint. */
  readonly url: string;
  /**
   * Emits `forecast` (with the arguments) for each valid call of `forecast`, `slow-started` and
   * `slow-canceled` for each call of `slow`, and `initialize` (with the `authorization` header) for
   * each new session.
   */
  readonly events: EventEmitter;
  /** Calls of `forecast` served since it started. */
  forecastCalls(): number;
  /** The `authorization` header of each session's initialize request, in order. */
  authorizations(): readonly (string | undefined)[];
  /** Stops listening and drops every connection and session, as a crashed server would. */
  stop(): Promise<void>;
  /** Listens again on the same port, with no session. */
  start(): Promise<void>;
}

/** Starts the server on an ephemeral loopback port (sessions: one MCP server per client session). */
export async function startHttpMcpServer(): Promise<HttpMcpServer> {
  const events = new EventEmitter();
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
  let forecasts = 0;
  const authorizations: (string | undefined)[] = [];
  let port = 0;
  let http: Server | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sessionId = req.headers["mcp-session-id"];
    const session = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (req.method !== "POST") {
      if (session === undefined) {
        res.writeHead(404).end();
        return;
      }
      await session.transport.handleRequest(req, res);
      return;
    }
    const body: unknown = JSON.parse(await readBody(req));
    if (session !== undefined) {
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (!isInitializeRequest(body)) {
      // A session this process never made (it was restarted): the client must initialize again.
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
      return;
    }
    authorizations.push(req.headers.authorization);
    events.emit("initialize", req.headers.authorization);
    const server = new McpServer({ name: "test-http-server", version: "1.0.0" });
    registerTestTools(server, {
      onForecast: (args) => {
        forecasts++;
        events.emit("forecast", args);
      },
      onSlowStarted: () => events.emit("slow-started"),
      onSlowCanceled: () => events.emit("slow-canceled"),
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
      },
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function start(): Promise<void> {
    const listening = createServer((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) {
          res.writeHead(500);
        }
        res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(port, "127.0.0.1", () => resolve());
    });
    port = (listening.address() as AddressInfo).port;
    http = listening;
  }

  async function stop(): Promise<void> {
    const stopping = http;
    http = undefined;
    if (stopping === undefined) {
      return;
    }
    const closed = new Promise<void>((resolve) => stopping.close(() => resolve()));
    stopping.closeAllConnections();
    await closed;
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.all(open.map((session) => session.server.close().catch(() => undefined)));
  }

  await start();
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    events,
    forecastCalls: () => forecasts,
    authorizations: () => [...authorizations],
    stop,
    start,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
