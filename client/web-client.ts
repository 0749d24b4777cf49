import { createAgentClientOn, type AgentClient } from "./agent-client.js";
import type { WebAgentClientOptions } from "./client-options.js";
import { resolveWebTransport } from "./web-transport.js";

/**
 * Creates a client of the agent service over Connect or gRPC-Web with
 * `fetch`, for browsers (and any runtime with the Fetch API). It calls,
 * retries and resumes like the Node.js client; `close()` only stops its
 * retries, since the browser owns the connections.
 */
export function createAgentClient(options: WebAgentClientOptions): AgentClient {
  return createAgentClientOn(resolveWebTransport(options), options);
}
