import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { createAgentClient, type AgentClient } from "../../../client/index.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { loadConfig } from "../../../server/config.js";
import { createLogger } from "../../../server/logger.js";
import type { ModelsFileEntry } from "../../../server/models-file.js";
import { startAgentService, type RunningAgentService } from "../../../server/service.js";
import { storeTemplate } from "../test-service.js";

/** A model of the fallback chain, the provider URL it is reached at, and its own attempt timeout. */
export type ChaosModel = Pick<ModelsFileEntry, "name" | "attemptTimeoutMs"> & { readonly baseUrl: string };

/** The real service, its clients over Connect and gRPC, and what it logged. */
export interface ChaosService {
  readonly service: RunningAgentService;
  /** SDK clients, one per protocol, shared by every caller of a test. */
  readonly clients: { readonly connect: AgentClient; readonly grpc: AgentClient };
  /** The standard `grpc.health.v1.Health`, as a load balancer calls it. */
  readonly grpcHealth: Client<typeof Health>;
  /** Every log line the service wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Messages of the log lines so far, in order, that match `pattern`. */
  logged(pattern: RegExp): string[];
  close(): Promise<void>;
}

/**
 * Starts the service with each model at its own provider URL (a models
 * file), so a test can break one provider and keep the other, and `env`
 * for the resilience knobs (`AGENT_MODEL_MAX_RETRIES`, `AGENT_BREAKER_*`, …).
 */
export async function startChaosService(models: readonly ChaosModel[], env: Record<string, string> = {}): Promise<ChaosService> {
  const dir = mkdtempSync(join(tmpdir(), "chaos-models-"));
  const modelsFile = join(dir, "models.json");
  writeFileSync(modelsFile, JSON.stringify({ models }));
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  try {
    const config = loadConfig({
      AGENT_DATA_DIR: "memory://",
      HOST: "127.0.0.1",
      PORT: "0",
      METRICS_PORT: "0",
      OPENAI_API_KEY: "sk-test-secret-key-never-logged",
      AGENT_MODELS_FILE: modelsFile,
      ...env,
    });
    const service = await startAgentService(config, { logger, pgliteTemplate: storeTemplate() });
    return wrapService(service, logs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Clients and log access around a service that is already running. */
export function wrapService(service: RunningAgentService, logs: Record<string, unknown>[]): ChaosService {
  const clients = {
    // The callers count what the service answers: no SDK retries on top.
    connect: createAgentClient({ baseUrl: service.url, protocol: "connect", retries: 0 }),
    grpc: createAgentClient({ baseUrl: service.url, protocol: "grpc", retries: 0 }),
  };
  const healthSession = new Http2SessionManager(service.url);
  return {
    service,
    clients,
    grpcHealth: createClient(Health, createGrpcTransport({ baseUrl: service.url, sessionManager: healthSession })),
    logs,
    logged: (pattern) => logs.map((line) => String(line["msg"])).filter((msg) => pattern.test(msg)),
    async close() {
      clients.connect.close();
      clients.grpc.close();
      healthSession.abort();
      await service.shutdown(0);
    },
  };
}
