import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AgentService } from "../../../gen/agent/v1/agent_service_pb.js";
import { RunService } from "../../../gen/agent/v1/run_service_pb.js";
import type { AgentServiceRuntimeOptions } from "../../../server/service.js";
import type { SimulatorOptions } from "../../../server/simulator/index.js";
import { bearer } from "../bearer.js";
import { startTestService, type TestService } from "../test-service.js";
import type { ViewerBuildDir } from "./built-viewer.js";

/**
 * The real service serving `viewer` under `/ui/` (`AGENT_UI_DIR`), with its own simulator;
 * `env` adds to or overrides the settings, as for `startTestService`.
 */
export function startViewerService(
  viewer: ViewerBuildDir,
  env: Record<string, string> = {},
  options: { simulator?: SimulatorOptions; runtime?: AgentServiceRuntimeOptions } = {},
): Promise<TestService> {
  return startTestService({ AGENT_UI_DIR: viewer.dir, ...env }, options);
}

/** The generated Connect clients of the agent and runs APIs, over gRPC, as another service calls them. */
export interface ServiceClients {
  readonly agent: Client<typeof AgentService>;
  readonly runs: Client<typeof RunService>;
}

/** Clients of the service at `baseUrl`, sending `key` as a bearer token when given. */
export function serviceClients(baseUrl: string, key?: string): ServiceClients {
  const interceptors: Interceptor[] = key === undefined ? [] : [bearer(key)];
  const transport = createGrpcTransport({ baseUrl, interceptors });
  return { agent: createClient(AgentService, transport), runs: createClient(RunService, transport) };
}
