import { loadConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { startAgentService, type AgentServiceRuntimeOptions, type RunningAgentService } from "../../server/service.js";
import { createSimulator, type Simulator, type SimulatorOptions } from "../../server/simulator/index.js";
import { storeTemplate } from "./store-template.js";

export { storeTemplate } from "./store-template.js";

/** The real service on an ephemeral loopback port, with its own simulator. */
export interface TestService {
  readonly url: string;
  readonly service: RunningAgentService;
  readonly simulator: Simulator;
  /** Every log line the service wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The same lines as written, before parsing (which would hide a key written twice). */
  readonly rawLogs: string[];
  close(): Promise<void>;
}

/**
 * Starts a simulator and the service pointed at it over real HTTP, the way a
 * deployment points it at a provider. `env` overrides the configuration.
 */
export async function startTestService(
  env: Record<string, string> = {},
  options: { simulator?: SimulatorOptions; runtime?: AgentServiceRuntimeOptions } = {},
): Promise<TestService> {
  const simulator = await createSimulator({ models: ["sim-small", "sim-large"], ...options.simulator });
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    OPENAI_BASE_URL: simulator.url,
    OPENAI_API_KEY: "sk-test-secret-key-never-logged",
    AGENT_MODELS: "sim-small,sim-large",
    // In memory unless a test says where: parallel tests never share a data directory.
    AGENT_DATA_DIR: "memory://",
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const rawLogs: string[] = [];
  const logger = createLogger({
    level: "debug",
    destination: {
      write: (line: string) => {
        rawLogs.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  const service = await startAgentService(config, { logger, pgliteTemplate: storeTemplate(), ...options.runtime });
  return {
    url: service.url,
    service,
    simulator,
    logs,
    rawLogs,
    async close() {
      await service.shutdown(0);
      await simulator.close();
    },
  };
}
