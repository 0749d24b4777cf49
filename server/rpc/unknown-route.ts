import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

/** A Node.js request handler, as connect-node's adapter takes for its fallback. */
type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** What the server does serve, named in the error for a path it does not. */
export interface ServedMethods {
  /** Fully qualified service name to its method names. */
  readonly [service: string]: readonly string[];
}

/**
 * Answers a request for a method or path the server does not serve with
 * UNIMPLEMENTED in the caller's own protocol, and a message that lists what
 * it does serve: gRPC status trailers, gRPC-Web status headers, or HTTP 404
 * with a Connect error body for everything else.
 */
export function createUnknownRouteHandler(served: ServedMethods): NodeHandlerFn {
  const catalogue = Object.entries(served)
    .map(([service, methods]) => `${service} (${methods.join(", ")})`)
    .join(" and ");
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const message = `unknown method ${path}: this server serves ${catalogue}`;
    const contentType = String(req.headers["content-type"] ?? "");
    // Drain the request so the connection stays usable.
    req.resume();
    const status = { "grpc-status": "12", "grpc-message": encodeURIComponent(message) };
    if (contentType.startsWith("application/grpc-web")) {
      // gRPC-Web has no HTTP trailers: the status travels in the headers.
      res.writeHead(200, { "content-type": "application/grpc-web+proto", ...status });
      res.end();
      return;
    }
    if (contentType.startsWith("application/grpc")) {
      // gRPC reads the status from the trailers that end the response.
      res.writeHead(200, { "content-type": "application/grpc" });
      res.addTrailers(status);
      res.end();
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: "unimplemented", message }));
  };
}
