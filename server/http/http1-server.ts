import * as http from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { HttpLimits } from "./http-limits.js";
import { closeLingering } from "./lingering-close.js";

/** What an HTTP/1.1 request is handed to. */
export type Http1RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

// How long a connection closed after an early answer (an error answer, or
// one sent before the request body was read) keeps reading and dropping what
// its client still sends, so that closing it sends no reset (see closeLingering).
const lingerMs = 1_000;

/**
 * Creates the HTTP/1.1 server that the protocol sniffer hands connections to:
 * `headersTimeoutMs`, `requestTimeoutMs`, `idleTimeoutMs` (keep-alive) and
 * `maxHeaderBytes` from `limits`; a request head that is too large gets 431, a
 * request that is too slow 408, any other parse error 400, then the connection
 * is closed. A response sent before its request body was read to the end
 * closes its connection (see {@link closeWhenAnsweredEarly}).
 */
export function createHttp1Server(onRequest: Http1RequestListener, limits: HttpLimits, logger: Logger): http.Server {
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    // Node's default checks every 30 s, which would let a 10 s headers timeout run to 40 s.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, limits.headersTimeoutMs / 4)),
  });
  // Before the request listener, which may write the response at once.
  server.on("request", closeWhenAnsweredEarly);
  server.on("request", onRequest);
  // Responses under way, so an error on their connection does not write an
  // error answer into the middle of a response that has begun.
  const responses = new WeakMap<Duplex, http.ServerResponse>();
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    responses.set(req.socket, res);
    res.once("close", () => responses.delete(req.socket));
  });
  const answered = new WeakSet<Duplex>();
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    // The parser can report a broken connection more than once.
    if (answered.has(socket)) {
      return;
    }
    answered.add(socket);
    logger.debug({ err }, "client connection error");
    if (err.code === "ECONNRESET" || !socket.writable || responses.get(socket)?.headersSent === true) {
      socket.destroy();
      return;
    }
    const status = errorStatus(err.code);
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    closeLingering(socket, lingerMs);
  });
  // Node's own headers and request timeouts (and closeIdleConnections) only
  // track connections once the server emits 'listening'
  // (`setupConnectionsTracking` in `_http_server.js`, the same in Node 20, 22
  // and 24). This server never listens: the sniffer hands it connections with
  // emit('connection'), so without this every HTTP/1.1 connection could take
  // forever to send its headers. Node's tracking is preferred to our own
  // timers because its parser knows when each request (also the next one on a
  // keep-alive connection) started and finished; `slow-clients.test.ts` pins
  // that it is armed.
  server.emit("listening");
  return server;
}

/**
 * Makes a response that is sent before its request body was read to the end
 * (a request the guard refused by its declared length, or any handler that
 * answers first) the last on its connection: `Connection: close`, decided
 * when its head is written, then a lingering close once it is sent.
 *
 * Keeping the connection is not possible: connect-node reads the body with
 * `for await`, whose early return destroys the IncomingMessage, and Node then
 * neither reads nor discards the rest of that body (the parser keeps the
 * socket paused behind bytes nobody consumes; Node only dumps a body nobody
 * began to read), so the next request on the connection would wait until
 * `requestTimeoutMs`. Discarding it ourselves needs Node internals
 * (`IncomingMessage._dump`) and would receive what may be megabytes to be
 * thrown away. A request whose body was read in full is not affected.
 *
 * Node ends a `Connection: close` response's socket with `destroySoon`,
 * which destroys it as soon as its last bytes are written: with the client's
 * body still arriving, that close is a TCP reset that can destroy the answer
 * in the client's buffer. This socket's `destroySoon` lingers instead.
 */
function closeWhenAnsweredEarly(req: http.IncomingMessage, res: http.ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = ((...args: Parameters<typeof writeHead>) => {
    const socket = res.socket;
    if (!req.complete && !res.headersSent && socket !== null) {
      res.shouldKeepAlive = false;
      // Node calls it once the response is written (resOnFinish in `_http_server.js`, Node 20 to 24).
      Object.assign(socket, { destroySoon: () => closeLingering(socket, lingerMs) });
    }
    return Reflect.apply(writeHead, res, args) as http.ServerResponse;
  }) as typeof writeHead;
}

/** The status answering a client error, by Node's error code (as Node's own default handler does). */
function errorStatus(code: string | undefined): 400 | 408 | 431 {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return 431;
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return 408;
    default:
      return 400;
  }
}
