import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import type { ClientConnection } from "./agent-client.js";
import type { AgentClientOptions } from "./client-options.js";
import { createClientTraceInterceptor } from "./trace-interceptor.js";

/**
 * Builds the Node.js transport of {@link AgentClientOptions}: Connect, gRPC
 * or gRPC-Web over HTTP/2 or 1.1, with tracing; closing it closes the
 * HTTP/2 session it opened (none over HTTP/1.1, or for a ready transport).
 */
export function resolveTransport(options: AgentClientOptions): ClientConnection {
  if (options.transport !== undefined) {
    // A ready transport has its own interceptors; tracing goes there too.
    return { transport: options.transport };
  }
  if (options.baseUrl === undefined) {
    throw new Error("createAgentClient: set baseUrl (such as http://127.0.0.1:8080) or transport");
  }
  const protocol = options.protocol ?? "connect";
  const interceptors = [
    ...(options.tracing === false ? [] : [createClientTraceInterceptor(protocol)]),
    ...(options.interceptors ?? []),
  ];
  const httpVersion = protocol === "grpc" ? "2" : (options.httpVersion ?? "2");
  if (httpVersion === "1.1") {
    const common = { baseUrl: options.baseUrl, httpVersion, interceptors } as const;
    return { transport: protocol === "grpc-web" ? createGrpcWebTransport(common) : createConnectTransport(common) };
  }
  const sessionManager = new Http2SessionManager(options.baseUrl);
  const common = { baseUrl: options.baseUrl, httpVersion, interceptors, sessionManager } as const;
  const transport =
    protocol === "grpc"
      ? createGrpcTransport(common)
      : protocol === "grpc-web"
        ? createGrpcWebTransport(common)
        : createConnectTransport(common);
  return { transport, close: () => sessionManager.abort() };
}
