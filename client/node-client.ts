import { createAgentClientOn, type AgentClient } from "./agent-client.js";
import { resolveTransport } from "./agent-transport.js";
import type { AgentClientOptions } from "./client-options.js";

/**
 * Creates a client of the agent service over Connect, gRPC or gRPC-Web
 * (HTTP/2 by default, or HTTP/1.1), for Node.js.
 */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  return createAgentClientOn(resolveTransport(options), options);
}
