import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { sniffProtocol } from "./protocol-sniffer.js";
import type { Logger } from "pino";

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Interface to listen on. */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Registers the services. */
  readonly routes: (router: ConnectRouter) => void;
  /** Interceptors, outermost first. */
  readonly interceptors: readonly Interceptor[];
  /** Answers requests no route matches. Default connect-node's plain 404. */
  readonly fallback?: ConnectNodeAdapterOptions["fallback"];
  /** Largest request message accepted, in bytes. Default 4 MiB. */
  readonly readMaxBytes?: number;
  readonly logger: Logger;
}

/** A running server. */
export interface HttpServer {
  /** Base URL, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops gracefully: no new connections or RPCs, in-flight RPCs get
   * `graceMs` to finish, then they are canceled with UNAVAILABLE and every
   * connection is closed. Resolves when the server is closed.
   */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Serves gRPC, gRPC-Web and Connect on one port: HTTP/2 with prior knowledge
 * (h2c) for all three, and HTTP/1.1 for Connect and gRPC-Web.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const shutdownController = new AbortController();
  const handler = connectNodeAdapter({
    routes: options.routes,
    interceptors: [...options.interceptors],
    shutdownSignal: shutdownController.signal,
    ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
    readMaxBytes: options.readMaxBytes ?? 4 * 1024 * 1024,
  });

  // In-flight requests, so shutdown knows when the last one is done.
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    inFlight++;
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) {
        onIdle?.();
      }
    });
    handler(req, res);
  };
  const http2Server = http2.createServer({}, onRequest);
  const http1Server = http.createServer(onRequest);

  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Socket>();
  http2Server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // A broken client connection must never take the process down.
  http2Server.on("sessionError", (err) => options.logger.debug({ err }, "client session error"));
  http1Server.on("clientError", (err, socket) => {
    options.logger.debug({ err }, "client connection error");
    socket.destroy();
  });

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", (err) => options.logger.debug({ err }, "client socket error"));
    sniffProtocol(socket, (protocol) => {
      if (protocol === "http2") {
        // The HTTP/2 session takes the bytes read so far from the socket's buffer.
        http2Server.emit("connection", socket);
      } else {
        http1Server.emit("connection", socket);
        socket.resume();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;

  let closing: Promise<void> | undefined;
  async function shutdown(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // GOAWAY tells HTTP/2 clients to open no new streams on this connection;
    // HTTP/1.1 connections close once their response is sent.
    for (const session of sessions) {
      session.close();
    }
    http1Server.closeIdleConnections();
    http1Server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
      // A response already under way keeps its headers; its connection closes with the sockets below.
      if (!res.headersSent) {
        res.setHeader("connection", "close");
      }
    });
    const idle = new Promise<void>((resolve) => {
      onIdle = resolve;
      if (inFlight === 0) {
        resolve();
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"grace over">((resolve) => (timer = setTimeout(() => resolve("grace over"), graceMs)));
    if ((await Promise.race([idle, graceOver])) === "grace over") {
      options.logger.warn({ in_flight: inFlight, grace_ms: graceMs }, "shutdown grace period over: canceling runs");
      shutdownController.abort(new ConnectError("the server is shutting down; retry on another replica", Code.Unavailable));
      // Give the canceled RPCs a moment to send their error before the sockets go.
      await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    }
    clearTimeout(timer);
    for (const socket of sockets) {
      socket.destroy();
    }
    await closed;
  }

  return {
    url: `http://${host}:${port}`,
    port,
    shutdown(graceMs) {
      closing ??= shutdown(graceMs);
      return closing;
    },
  };
}
