import { cors as connectCors } from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

/**
 * Request headers a page may send: the ones the Connect and gRPC-Web
 * protocols use (connect-es's list), the credential, and the W3C trace
 * context the SDK's tracing sends (`baggage` too, which an application's
 * OpenTelemetry setup may add). Idempotency keys and run ids travel in the
 * request messages, not in headers.
 */
export const corsAllowedHeaders: readonly string[] = [
  ...connectCors.allowedHeaders,
  "Authorization",
  "Traceparent",
  "Tracestate",
  "Baggage",
];

/**
 * Response headers a page may read: the gRPC-Web status, message and typed
 * error details, and the Connect encodings (connect-es's list). The service
 * adds no response header of its own: the run id, trace id and error details
 * are in the messages.
 */
export const corsExposedHeaders: readonly string[] = [...connectCors.exposedHeaders];

/** The methods Connect and gRPC-Web use from a browser: POST, and GET for side-effect-free Connect calls. */
export const corsAllowedMethods: readonly string[] = [...connectCors.allowedMethods];

/** How long a browser may cache a preflight's answer: 2 hours, the most Chromium honours. */
export const corsMaxAgeSeconds = 7_200;

/** Options of {@link createCorsHandler}. */
export interface CorsOptions {
  /** Exact origins whose pages may call the service, such as `https://app.example.com` (see {@link originProblem}). */
  readonly allowedOrigins: readonly string[];
}

/** A Node.js request and its response, over HTTP/1.1 or HTTP/2, as connect-node's handlers take them. */
type NodeHandlerArgs = Parameters<NonNullable<ConnectNodeAdapterOptions["fallback"]>>;
type NodeRequest = NodeHandlerArgs[0];
type NodeResponse = NodeHandlerArgs[1];

/**
 * Applies CORS to one request before the RPC router sees it. Returns true
 * when it answered the request itself (a preflight), false when the request
 * goes on to the router, with the CORS headers of its answer already set.
 */
export type CorsHandler = (req: NodeRequest, res: NodeResponse) => boolean;

/**
 * Answers browsers' CORS preflights and marks the actual responses, for
 * pages on `allowedOrigins`; undefined when there are none, so that the
 * service then sends no CORS header at all.
 *
 * - A preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`)
 *   from an allowed origin gets 204 with that origin, the methods, headers and
 *   max age; from any other origin, 403 without `Access-Control-Allow-Origin`,
 *   so the browser refuses the call. Neither reaches the router (which would
 *   answer 405), and neither is logged: a refused origin is a page's mistake,
 *   not the service's.
 * - Every other response gets `Vary: Origin`; one to an allowed origin gets
 *   `Access-Control-Allow-Origin` and the exposed headers too.
 *
 * No credentials mode: the SDK sends its token in `Authorization`, which
 * needs no cookies.
 */
export function createCorsHandler(options: CorsOptions): CorsHandler | undefined {
  if (options.allowedOrigins.length === 0) {
    return undefined;
  }
  const allowed = new Set(options.allowedOrigins);
  const preflightHeaders = {
    "access-control-allow-methods": corsAllowedMethods.join(", "),
    "access-control-allow-headers": corsAllowedHeaders.join(", "),
    "access-control-max-age": String(corsMaxAgeSeconds),
  };
  const exposedHeaders = corsExposedHeaders.join(", ");
  return (req, res) => {
    const origin = req.headers.origin;
    const isAllowed = origin !== undefined && allowed.has(origin);
    if (req.method === "OPTIONS" && origin !== undefined && req.headers["access-control-request-method"] !== undefined) {
      // A preflight has no body worth reading; drain it so the connection can be reused.
      req.resume();
      if (isAllowed) {
        res.writeHead(204, { ...preflightHeaders, "access-control-allow-origin": origin, vary: "Origin" });
        res.end();
      } else {
        res.writeHead(403, { vary: "Origin", "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
        res.end("This origin may not call the service from a browser.\n");
      }
      return true;
    }
    res.setHeader("vary", "Origin");
    if (isAllowed) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-expose-headers", exposedHeaders);
    }
    return false;
  };
}

/**
 * Why `text` cannot be an allowed origin, or undefined when it can: an
 * origin is a scheme (http or https), a host and an optional port, written
 * exactly as a browser sends it in `Origin` (lower case, no default port, no
 * path, not even `/`), since origins are compared as strings. A wildcard is
 * not accepted: every origin is listed.
 */
export function originProblem(text: string): string | undefined {
  const example = "such as https://app.example.com or http://127.0.0.1:5173";
  if (!URL.canParse(text)) {
    return `${JSON.stringify(text)} is not an origin: list exact origins ${example}`;
  }
  const url = new URL(text);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `${JSON.stringify(text)} is not an origin: it must start with http:// or https://, ${example}`;
  }
  if (url.origin !== text) {
    return `${JSON.stringify(text)} is not an origin as browsers send it: write ${url.origin} (scheme, host and port only)`;
  }
  return undefined;
}
