// The agent service's client SDK for Node.js: Connect, gRPC and gRPC-Web
// over HTTP/2 or HTTP/1.1. Browsers get the same surface over fetch from
// the `web` entry (web.ts).
export { createAgentClient } from "./node-client.js";
export type { AgentClientOptions, AgentProtocol } from "./client-options.js";
export { createClientTraceInterceptor } from "./trace-interceptor.js";
export * from "./shared-exports.js";
