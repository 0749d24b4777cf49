import type * as http from "node:http";
import * as http2 from "node:http2";
import type { Logger } from "pino";

/** A response of either HTTP version. */
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/** Options for {@link createStalledResponseWatchdog}. */
export interface StalledResponseWatchdogOptions {
  /** How long a response may wait for its client to read before it is cut. */
  readonly stalledReaderTimeoutMs: number;
  readonly logger: Logger;
}

/** Watches responses for clients that stopped reading. */
export interface StalledResponseWatchdog {
  /** Watches `res` until it closes. */
  watch(res: NodeResponse, req: http.IncomingMessage | http2.Http2ServerRequest): void;
  /** Stops the watchdog's timer. */
  stop(): void;
}

interface Watched {
  readonly req: http.IncomingMessage | http2.Http2ServerRequest;
  /** When the response was first seen waiting for 'drain', since its last 'drain'. */
  stalledSince: number | undefined;
}

/**
 * Cuts responses whose writes have waited for 'drain' (the client reads
 * nothing) for longer than `stalledReaderTimeoutMs`: an HTTP/2 stream is reset
 * with ENHANCE_YOUR_CALM, which connect and gRPC clients report as
 * RESOURCE_EXHAUSTED (the client used more of the server than it may); an
 * HTTP/1.1 connection, which has no way to say why, is destroyed. Either way
 * the request closes, so connect-node aborts the handler's signal and the run
 * stops and frees its slot. One unref'd interval for all responses samples
 * `writableNeedDrain`; a 'drain' listener is added only to a response seen
 * waiting, so writes cost nothing extra.
 */
export function createStalledResponseWatchdog(options: StalledResponseWatchdogOptions): StalledResponseWatchdog {
  const { stalledReaderTimeoutMs, logger } = options;
  const watched = new Map<NodeResponse, Watched>();
  // Sampling at a quarter of the bound cuts a stalled reader between 1 and 1.25 bounds after it stopped reading.
  const interval = setInterval(sweep, Math.max(25, Math.min(1_000, stalledReaderTimeoutMs / 4))).unref();

  function sweep(): void {
    const now = Date.now();
    for (const [res, entry] of watched) {
      if (!needsDrain(res)) {
        continue;
      }
      if (entry.stalledSince === undefined) {
        entry.stalledSince = now;
        res.once("drain", () => (entry.stalledSince = undefined));
      } else if (now - entry.stalledSince >= stalledReaderTimeoutMs) {
        cut(res, entry);
      }
    }
  }

  function cut(res: NodeResponse, entry: Watched): void {
    watched.delete(res);
    logger.warn(
      { path: entry.req.url, http_version: entry.req.httpVersion, stalled_reader_timeout_ms: stalledReaderTimeoutMs },
      "client stopped reading its response: RPC cut",
    );
    if ("stream" in res) {
      res.stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    } else {
      res.socket?.destroy();
    }
  }

  return {
    watch(res, req) {
      watched.set(res, { req, stalledSince: undefined });
      res.once("close", () => watched.delete(res));
    },
    stop() {
      clearInterval(interval);
    },
  };
}

/** Whether the response's last write was refused until the client reads more. */
function needsDrain(res: NodeResponse): boolean {
  // The HTTP/2 compatibility response does not expose the flag; its stream does.
  return "stream" in res ? res.stream.writableNeedDrain : res.writableNeedDrain;
}
