import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import type { ClientConnection } from "./agent-client.js";
import type { WebAgentClientOptions } from "./client-options.js";

/**
 * Builds the browser transport of {@link WebAgentClientOptions}: Connect
 * (JSON) or gRPC-Web (binary) over `fetch`. Nothing to close: the browser
 * owns the connections. A page on another origin needs that origin in the
 * service's `AGENT_CORS_ORIGINS`.
 */
export function resolveWebTransport(options: WebAgentClientOptions): ClientConnection {
  if (options.transport !== undefined) {
    return { transport: options.transport };
  }
  if (options.baseUrl === undefined) {
    throw new Error("createAgentClient: set baseUrl (such as https://agents.example.com) or transport");
  }
  const protocol: string = options.protocol ?? "connect";
  const common = {
    baseUrl: options.baseUrl,
    interceptors: [...(options.interceptors ?? [])],
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
  switch (protocol) {
    case "connect":
      return { transport: createConnectTransport(common) };
    case "grpc-web":
      return { transport: createGrpcWebTransport(common) };
    default:
      // A JavaScript caller may pass anything; "grpc" is the likely one.
      throw new Error(
        `createAgentClient: protocol ${JSON.stringify(protocol)} cannot be spoken from a browser: use "connect" or "grpc-web" ` +
          "(gRPC needs HTTP trailers, which fetch does not expose)",
      );
  }
}
