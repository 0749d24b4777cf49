import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { setMaxListeners } from "node:events";
import type * as http from "node:http";
import type * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "pino";
import { createCorsHandler } from "./http/cors.js";
import { clampDeadline } from "./http/deadline-clamp.js";
import { closeConnections } from "./http/graceful-close.js";
import { createHttp1Server } from "./http/http1-server.js";
import { createHttp2Server } from "./http/http2-server.js";
import { resolveHttpLimits, type HttpLimits } from "./http/http-limits.js";
import { createStalledResponseWatchdog } from "./http/stalled-response-watchdog.js";
import { wellFormedErrorMessages } from "./rpc/well-formed-error-messages.js";
import { sniffProtocol } from "./protocol-sniffer.js";

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Interface to listen on. */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Registers the services. */
  readonly routes: (router: ConnectRouter) => void;
  /**
   * Interceptors, outermost first. {@link wellFormedErrorMessages} goes
   * around them all, so that every error message can be sent over gRPC.
   */
  readonly interceptors: readonly Interceptor[];
  /** Answers requests no route matches. Default connect-node's plain 404. */
  readonly fallback?: ConnectNodeAdapterOptions["fallback"];
  /** Largest request message accepted, in bytes. Default 4 MiB. */
  readonly readMaxBytes?: number;
  /**
   * Time and size limits of connections and requests (see `Config["http"]`
   * for each one's meaning and default). Default: the configuration's defaults.
   */
  readonly limits?: Partial<HttpLimits>;
  /** Longest deadline a caller may set; longer ones are cut to this. Default 300,000 ms, the default maximum run time cap. */
  readonly maxDeadlineMs?: number;
  /**
   * Exact origins whose browser pages may call the service (CORS, see
   * `createCorsHandler`). Default none: no CORS headers, and preflights get
   * the router's 405.
   */
  readonly corsOrigins?: readonly string[];
  /** JSON options for every route (such as a strict text decoder). Default connect-node's. */
  readonly jsonOptions?: ConnectNodeAdapterOptions["jsonOptions"];
  readonly logger: Logger;
}

/** A running server. */
export interface HttpServer {
  /** Base URL, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops gracefully: no new connections or RPCs, in-flight RPCs get
   * `graceMs` to finish, then they are canceled with UNAVAILABLE; then every
   * connection is closed once it has sent what it still had to send (at most
   * {@link flushTimeoutMs} more). Resolves when the server is closed.
   */
  shutdown(graceMs: number): Promise<void>;
}

/** How long connections get at shutdown, once no RPC is in flight, to send their last frames. */
export const flushTimeoutMs = 2_000;

/**
 * Serves gRPC, gRPC-Web and Connect on one port: HTTP/2 with prior knowledge
 * (h2c) for all three, and HTTP/1.1 for Connect and gRPC-Web, with the
 * connection and request limits of `options.limits`.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const limits = resolveHttpLimits(options.limits);
  const maxDeadlineMs = options.maxDeadlineMs ?? 300_000;
  const shutdownController = new AbortController();
  // connect-node adds an abort listener to this signal per request; hundreds
  // at once are normal here, not a leak, so Node's warning at 11 is off.
  setMaxListeners(0, shutdownController.signal);
  const handler = connectNodeAdapter({
    routes: options.routes,
    interceptors: [wellFormedErrorMessages, ...options.interceptors],
    shutdownSignal: shutdownController.signal,
    ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
    readMaxBytes: options.readMaxBytes ?? 4 * 1024 * 1024,
    // Compressing the small answers of an in-cluster RPC costs more CPU on
    // both sides than the bytes it saves (connect's default is 1 KiB).
    compressMinBytes: limits.compressMinBytes,
    ...(options.jsonOptions === undefined ? {} : { jsonOptions: options.jsonOptions }),
  });
  const cors = createCorsHandler({ allowedOrigins: options.corsOrigins ?? [] });
  const watchdog = createStalledResponseWatchdog({
    stalledReaderTimeoutMs: limits.stalledReaderTimeoutMs,
    logger: options.logger,
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
    watchdog.watch(res, req);
    clampDeadline(req.headers, maxDeadlineMs);
    // Preflights are answered here: the router would refuse OPTIONS with 405.
    if (cors?.(req, res) === true) {
      return;
    }
    handler(req, res);
  };
  const http2Server = createHttp2Server(onRequest, limits, options.logger);
  const http1Server = createHttp1Server(onRequest, limits, options.logger);

  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Socket>();
  const http2Sockets = new WeakSet<Socket>();
  http2Server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A broken client connection must never take the process down.
    socket.on("error", (err) => options.logger.debug({ err }, "client socket error"));
    sniffProtocol(
      socket,
      (protocol) => {
        if (protocol === "http2") {
          http2Sockets.add(socket);
          // The HTTP/2 session takes the bytes read so far from the socket's buffer.
          http2Server.emit("connection", socket);
        } else {
          http1Server.emit("connection", socket);
          socket.resume();
        }
      },
      limits.prefaceTimeoutMs,
    );
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
      // Give the canceled RPCs a moment to send their error before the connections close.
      await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    }
    clearTimeout(timer);
    watchdog.stop();
    // A response's 'close' (which ended the in-flight count) can come before
    // its last frames have left the socket: close gracefully, then destroy.
    await closeConnections({ sessions, sockets: [...sockets].filter((socket) => !http2Sockets.has(socket)) }, flushTimeoutMs);
    for (const socket of sockets) {
      socket.destroy();
    }
    http1Server.close();
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
