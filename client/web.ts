// The agent service's client SDK for browsers: Connect and gRPC-Web over
// fetch, with no Node.js module on its import graph. Tracing is opt-in, from
// the `tracing` entry (tracing.ts). The service must list the page's origin
// in AGENT_CORS_ORIGINS.
export { createAgentClient } from "./web-client.js";
export type { AgentProtocol, WebAgentClientOptions, WebProtocol } from "./client-options.js";
export * from "./shared-exports.js";
