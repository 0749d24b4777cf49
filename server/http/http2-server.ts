import * as http2 from "node:http2";
import type { Logger } from "pino";
import type { HttpLimits } from "./http-limits.js";

/** What an HTTP/2 request is handed to. */
export type Http2RequestListener = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/**
 * How long a session told to go away (GOAWAY) may take to close its
 * connection before it is destroyed: a well-behaved client closes at once.
 */
export const goawayGraceMs = 2_000;

/**
 * Creates the HTTP/2 server the protocol sniffer hands connections to. From
 * `limits`: a session with no open stream for `idleTimeoutMs` is closed with
 * GOAWAY; a stream whose request has not ended `requestTimeoutMs` after its
 * headers is reset with CANCEL; `maxHeaderBytes` is advertised as the largest
 * header list. A response that keeps streaming stays open however long. A
 * stream whose response is complete before its request ended is reset with
 * NO_ERROR (see {@link resetWhenAnsweredEarly}).
 */
export function createHttp2Server(onRequest: Http2RequestListener, limits: HttpLimits, logger: Logger): http2.Http2Server {
  const server = http2.createServer(
    {
      // Node's defaults otherwise (128 header pairs, 10 MB of session memory),
      // which bound what one session can make the server hold.
      settings: { maxHeaderListSize: limits.maxHeaderBytes },
    },
    onRequest,
  );
  server.on("session", (session) => closeWhenIdle(session, limits.idleTimeoutMs));
  server.on("stream", (stream) => {
    resetUnfinishedRequest(stream, limits.requestTimeoutMs, logger);
    resetWhenAnsweredEarly(stream);
  });
  // A broken client connection must never take the process down.
  server.on("sessionError", (err) => logger.debug({ err }, "client session error"));
  return server;
}

/**
 * Closes a session that has had no open stream for `idleTimeoutMs`. Our own
 * timer, not `session.setTimeout`: that one counts any frame as activity, so a
 * client sending a PING now and then would hold an idle session forever.
 */
function closeWhenIdle(session: http2.ServerHttp2Session, idleTimeoutMs: number): void {
  let open = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdleTimer = () => {
    idleTimer = setTimeout(() => {
      session.close();
      // A client that ignores the GOAWAY and keeps its side open is cut.
      setTimeout(() => session.destroy(), goawayGraceMs).unref();
    }, idleTimeoutMs).unref();
  };
  session.on("stream", (stream) => {
    open++;
    clearTimeout(idleTimer);
    stream.once("close", () => {
      open--;
      if (open === 0 && !session.closed) {
        armIdleTimer();
      }
    });
  });
  session.once("close", () => clearTimeout(idleTimer));
  // Counted from the preface: a session that never opens a stream is idle too.
  armIdleTimer();
}

/**
 * Resets a stream whose request has not ended (END_STREAM) `requestTimeoutMs`
 * after its headers. Our methods are unary or server-streaming, so a request
 * ends right after its one message; one that does not is a client holding the
 * stream. CANCEL, which clients read as CANCELED: the server gave up on the
 * request; it is not a protocol error.
 */
function resetUnfinishedRequest(stream: http2.ServerHttp2Stream, requestTimeoutMs: number, logger: Logger): void {
  if (stream.endAfterHeaders) {
    return;
  }
  const timer = setTimeout(() => {
    if (!stream.closed && stream.state.remoteClose !== 1) {
      logger.debug({ request_timeout_ms: requestTimeoutMs }, "request not finished in time: stream reset");
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }
  }, requestTimeoutMs).unref();
  stream.once("close", () => clearTimeout(timer));
}

/**
 * Ends a stream whose response is complete while its request has not ended:
 * drops what the client still sends, and resets the stream with NO_ERROR, as
 * RFC 9113 §8.1 allows ("a server can send a complete response prior to the
 * client sending an entire request ... the server MAY request that the
 * client abort transmission of a request without error by sending a
 * RST_STREAM with an error code of NO_ERROR"). Clients read NO_ERROR after a
 * complete response as no error.
 *
 * Without it, a request body nobody reads (one refused before it was read,
 * or answered by a handler first) stalls the stream: connect-node's early
 * return from `for await` destroys the compatibility request, whose 'data'
 * listener on the stream then pauses it at every chunk it cannot push; the
 * client, blocked by flow control, cannot finish sending, and with the
 * stream's data unread the session stops reading its socket, so not even a
 * client's `session.close()` completes until `requestTimeoutMs` cancels the
 * stream. Removing that listener and resuming the stream drops the data.
 *
 * The response is complete once its trailers are sent: the compatibility API
 * always waits for trailers ('wantTrailers' comes after 'finish') and sends
 * them from its own 'wantTrailers' listener, which runs before this one. The
 * reset waits for the next turn of the event loop: submitted from inside the
 * session's callback that asked for the trailers, it makes nghttp2 drop them
 * (seen with Node 20).
 */
function resetWhenAnsweredEarly(stream: http2.ServerHttp2Stream): void {
  stream.once("wantTrailers", () => {
    setImmediate(() => {
      if (stream.sentTrailers !== undefined && !stream.closed && stream.state.remoteClose !== 1) {
        stream.removeAllListeners("data");
        stream.resume();
        stream.close(http2.constants.NGHTTP2_NO_ERROR);
      }
    });
  });
}
