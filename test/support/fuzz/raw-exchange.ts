import * as http from "node:http";
import * as http2 from "node:http2";
import type { HeaderSet } from "./fuzz-headers.js";

/** One HTTP request exactly as the fuzzer wants it on the wire. */
export interface RawRequest {
  readonly httpVersion: "1.1" | "2";
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers: HeaderSet;
  readonly body: Uint8Array;
  /** `"stall"` sends the body but never ends the request, so only a server-side timeout can answer it. */
  readonly ending: "end" | "stall";
}

/** What came back, as far as it came. */
export interface RawResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly trailers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /**
   * `"complete"`: the response ended normally. `"cut"`: the client stopped
   * reading an open-ended stream after its window. `"broken"`: the
   * connection or stream failed part way.
   */
  readonly end: "complete" | "cut" | "broken";
  /** Why it broke, for `"broken"`. */
  readonly error?: string;
  /** The RST_STREAM code an HTTP/2 stream was reset with, if it was. */
  readonly resetCode?: number;
}

/**
 * The result of one exchange: a response (maybe partial), an HTTP/2 stream
 * reset before any response (which gRPC and Connect map to a status), or
 * nothing within the bound.
 */
export type Exchange =
  | { readonly kind: "response"; readonly response: RawResponse; readonly elapsedMs: number }
  | { readonly kind: "reset"; readonly resetCode: number; readonly elapsedMs: number }
  | { readonly kind: "no response"; readonly reason: string; readonly elapsedMs: number };

/** Options for {@link exchange}. */
export interface ExchangeOptions {
  /** `http://host:port` of the server. */
  readonly baseUrl: string;
  /** The HTTP/2 session to open the stream on; required for HTTP/2 requests. */
  readonly session?: http2.ClientHttp2Session;
  /** Time the whole answer may take, status included; past it the request is aborted and counts as unanswered. */
  readonly boundMs: number;
  /** For an open-ended stream: stop reading after this long and report what arrived as `"cut"`. */
  readonly cutAfterMs?: number;
}

function flatten(headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders | NodeJS.Dict<string | string[]>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !name.startsWith(":")) {
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    }
  }
  return flat;
}

/**
 * Sends `request` and collects the answer. Never rejects: an abort at the
 * bound, a reset before any response, or a client-side refusal are all
 * reported as "no response" with the reason.
 */
export function exchange(request: RawRequest, options: ExchangeOptions): Promise<Exchange> {
  return request.httpVersion === "2" ? exchangeHttp2(request, options) : exchangeHttp1(request, options);
}

interface Collector {
  status: number | undefined;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  chunks: Buffer[];
  resetCode?: number;
}

function settle(started: number, collected: Collector, end: RawResponse["end"] | "none", reason: string): Exchange {
  const elapsedMs = performance.now() - started;
  if (collected.status === undefined) {
    return collected.resetCode === undefined ? { kind: "no response", reason, elapsedMs } : { kind: "reset", resetCode: collected.resetCode, elapsedMs };
  }
  const response: RawResponse = {
    status: collected.status,
    headers: collected.headers,
    trailers: collected.trailers,
    body: new Uint8Array(Buffer.concat(collected.chunks)),
    end: end === "none" ? "broken" : end,
    ...(end === "complete" || end === "cut" ? {} : { error: reason }),
    ...(collected.resetCode === undefined ? {} : { resetCode: collected.resetCode }),
  };
  return { kind: "response", response, elapsedMs };
}

function exchangeHttp1(request: RawRequest, options: ExchangeOptions): Promise<Exchange> {
  const started = performance.now();
  const collected: Collector = { status: undefined, headers: {}, trailers: {}, chunks: [] };
  return new Promise<Exchange>((resolve) => {
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (end: RawResponse["end"] | "none", reason: string) => {
      if (!done) {
        done = true;
        timers.forEach(clearTimeout);
        resolve(settle(started, collected, end, reason));
        req.destroy();
      }
    };
    const url = new URL(options.baseUrl);
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers: request.headers,
        // A fresh connection per request: one request's damage cannot leak into the next.
        agent: false,
      });
    } catch (err) {
      resolve({ kind: "no response", reason: `the client refused to send it: ${String(err)}`, elapsedMs: 0 });
      return;
    }
    timers.push(setTimeout(() => finish("none", `no complete answer within ${options.boundMs} ms`), options.boundMs));
    req.on("response", (res) => {
      collected.status = res.statusCode ?? 0;
      collected.headers = flatten(res.headers);
      if (options.cutAfterMs !== undefined) {
        timers.push(setTimeout(() => finish("cut", "stopped reading an open-ended stream"), options.cutAfterMs));
      }
      res.on("data", (chunk: Buffer) => collected.chunks.push(chunk));
      res.on("end", () => {
        collected.trailers = flatten(res.trailers);
        finish("complete", "");
      });
      res.on("error", (err) => finish("broken", `response failed: ${err.message}`));
      res.on("aborted", () => finish("broken", "response aborted"));
    });
    req.on("error", (err) => {
      // Writing the rest of a body the server has already answered may fail; the answer stands.
      if (collected.status === undefined) {
        finish("none", `connection failed before any response: ${err.message}`);
      }
    });
    req.on("close", () => {
      if (collected.status === undefined) {
        finish("none", "connection closed before any response");
      }
    });
    req.write(request.body);
    if (request.ending === "end") {
      req.end();
    }
  });
}

function exchangeHttp2(request: RawRequest, options: ExchangeOptions): Promise<Exchange> {
  const started = performance.now();
  const collected: Collector = { status: undefined, headers: {}, trailers: {}, chunks: [] };
  const session = options.session;
  if (session === undefined) {
    throw new Error("an HTTP/2 request needs a session");
  }
  return new Promise<Exchange>((resolve) => {
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    let stream: http2.ClientHttp2Stream | undefined;
    const finish = (end: RawResponse["end"] | "none", reason: string) => {
      if (!done) {
        done = true;
        timers.forEach(clearTimeout);
        resolve(settle(started, collected, end, reason));
        stream?.close(http2.constants.NGHTTP2_CANCEL);
      }
    };
    try {
      stream = session.request({ ":method": request.method, ":path": request.path, ...request.headers }, { endStream: false });
    } catch (err) {
      resolve({ kind: "no response", reason: `the client refused to send it: ${String(err)}`, elapsedMs: 0 });
      return;
    }
    const opened = stream;
    timers.push(setTimeout(() => finish("none", `no complete answer within ${options.boundMs} ms`), options.boundMs));
    opened.on("response", (headers) => {
      collected.status = Number(headers[":status"] ?? 0);
      collected.headers = flatten(headers);
      if (options.cutAfterMs !== undefined) {
        timers.push(setTimeout(() => finish("cut", "stopped reading an open-ended stream"), options.cutAfterMs));
      }
    });
    opened.on("trailers", (trailers) => {
      collected.trailers = flatten(trailers);
    });
    opened.on("data", (chunk: Buffer) => collected.chunks.push(chunk));
    opened.on("end", () => {
      // Ending without response headers is a reset in disguise: "close" reports its code.
      if (collected.status !== undefined) {
        finish("complete", "");
      }
    });
    // "close" follows every "error" and knows the reset code, so it decides.
    opened.on("error", () => undefined);
    opened.on("close", () => {
      const code = opened.rstCode;
      if (!done && code !== undefined && code !== http2.constants.NGHTTP2_NO_ERROR) {
        collected.resetCode = code;
      }
      // A stream the server closes after its answer, while our body is still
      // unsent, ends with a reset; the answer stands once "end" was seen.
      finish(
        collected.status === undefined ? "none" : "broken",
        `stream closed ${collected.status === undefined ? "before any response" : "mid-response"} (RST_STREAM code ${code ?? "none"})`,
      );
    });
    opened.write(request.body);
    if (request.ending === "end") {
      opened.end();
    }
  });
}
