import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import type { AgentClientOptions } from "./client-options.js";
import { createClientTraceInterceptor } from "./trace-interceptor.js";

/** The transport a client's options ask for, and the HTTP/2 session it owns, if any. */
export interface AgentTransport {
  readonly transport: Transport;
  /** Closed by `AgentClient.close`; undefined over HTTP/1.1 and for a transport the caller made. */
  readonly sessionManager?: Http2SessionManager;
}

/** Builds the transport of {@link AgentClientOptions}: Connect, gRPC or gRPC-Web over HTTP/2 or 1.1, with tracing and its token. */
export function resolveTransport(options: AgentClientOptions): AgentTransport {
  const resolved = resolveBareTransport(options);
  return options.token === undefined ? resolved : { ...resolved, transport: withToken(resolved.transport, options.token) };
}

/**
 * Sends `Authorization: Bearer <token>` on every call of `transport`, asking
 * a token function again each time. Around the transport, not in an
 * interceptor, so that it works on a ready transport too.
 */
function withToken(transport: Transport, token: NonNullable<AgentClientOptions["token"]>): Transport {
  const headerOf = async (header: ConstructorParameters<typeof Headers>[0]): Promise<Headers> => {
    const value = typeof token === "string" ? token : await token();
    const headers = new Headers(header);
    headers.set("authorization", `Bearer ${value}`);
    return headers;
  };
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      return transport.unary(method, signal, timeoutMs, await headerOf(header), input, contextValues);
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      return transport.stream(method, signal, timeoutMs, await headerOf(header), input, contextValues);
    },
  };
}

function resolveBareTransport(options: AgentClientOptions): AgentTransport {
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
  return { transport, sessionManager };
}
