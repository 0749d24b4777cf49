import type { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { ResolvedPrometheusOptions } from "./metrics-provider-options.js";

/** A listening Prometheus scrape endpoint. */
export interface PrometheusEndpoint {
  /** URL to scrape, such as `http://127.0.0.1:9464/metrics`, with the port actually bound. */
  readonly url: string;
  /** Stops listening and closes idle keep-alive connections; resolves once the listener is closed. */
  close(): Promise<void>;
}

/**
 * Serves `exporter`'s metrics on a plain HTTP listener of its own. The
 * exporter's built-in server can neither bind port 0 (it treats 0 as "use
 * 9464") nor report the port it bound, so it is never started; this one
 * calls the exporter's request handler instead. Rejects when the address
 * cannot be bound, for instance a port already in use.
 */
export async function startPrometheusEndpoint(
  exporter: PrometheusExporter,
  options: ResolvedPrometheusOptions,
): Promise<PrometheusEndpoint> {
  const server = http.createServer((req, res) => {
    if (pathnameOf(req) !== options.path) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    exporter.getMetricsRequestHandler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // An IPv6 literal needs brackets in a URL.
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}${options.path}`,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        // A scraper's keep-alive connection would hold the listener open until it times out.
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

/** The request's path without its query; scrapers may add one, such as `?name[]=...`. */
function pathnameOf(req: http.IncomingMessage): string {
  const target = req.url ?? "";
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}
