import type { ConnectRouter } from "@connectrpc/connect";
import type { Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import { AgentService } from "../../gen/agent/v1/agent_service_pb.js";
import { AuditService } from "../../gen/agent/v1/audit_service_pb.js";
import { PromptService } from "../../gen/agent/v1/prompt_service_pb.js";
import { RunService } from "../../gen/agent/v1/run_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { AgentExecutor } from "../agent/agent-executor.js";
import type { McpServerStatus } from "../agent/tools/mcp/index.js";
import { createAuditService } from "../audit/audit-service.js";
import type { AuditWriter } from "../audit/audit-writer.js";
import { principalOf } from "../auth/principal.js";
import type { Config } from "../config.js";
import type { ResponseCache } from "../model/cache/index.js";
import type { CachedTurn } from "../model/cached-turn.js";
import type { ModelGateway } from "../model/model-gateway.js";
import { createAgentService } from "../rpc/agent-service.js";
import { createGetThreadHandler } from "../rpc/get-thread.js";
import { createGrpcHealthService } from "../rpc/grpc-health-service.js";
import type { HealthStatus } from "../rpc/health-status.js";
import { guardRequestMessages } from "../rpc/request-message-guard.js";
import type { RequestLimits } from "../runs/request-rules.js";
import { createRunService } from "../rpc/run-service.js";
import { createPromptService } from "../rpc/prompt-service.js";
import { createReflectionService, createReflectionV1alphaService } from "../rpc/reflection-service.js";
import { createRunLifecycle } from "../runs/run-lifecycle.js";
import type { PrincipalLimiter } from "../limits/principal-limiter.js";
import type { OutputRedaction } from "../runs/redacted-events.js";
import type { RunLimiter } from "../runs/run-limiter.js";
import { loadThreadHistory } from "../runs/thread-history.js";
import type { ServiceStore } from "../store/index.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";
import type { PromptParts } from "./prompts.js";
import type { RunParts } from "./runs.js";

/** Every service {@link createRoutes} registers, for the answer to a request no route matches. */
export const routedServices = [
  AgentService,
  RunService,
  PromptService,
  AuditService,
  Health,
  ServerReflection,
  ServerReflectionV1alpha,
] as const;

/** What {@link createRoutes} needs. */
export interface RoutesWiringOptions {
  readonly config: Pick<Config, "threads" | "store" | "http" | "limits" | "prompts" | "maxConcurrentRuns" | "maxQueuedRuns">;
  readonly executor: AgentExecutor;
  /** Defaults and caps for caller-supplied limits. */
  readonly limits: RequestLimits;
  readonly limiter: RunLimiter;
  readonly store: ServiceStore;
  readonly runs: RunParts;
  /** The prompts runs choose from, and how they change. */
  readonly prompts: PromptParts;
  /** Appends every run's actions to the audit log; AuditService reads it back. */
  readonly audit: AuditWriter;
  readonly health: HealthStatus;
  readonly gateway: ModelGateway;
  readonly cache: ResponseCache<CachedTurn> | undefined;
  /** The service's version, reported by `Health`. */
  readonly version: string;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  /** Aborted when the shutdown's grace is over: every run still going stops then. */
  readonly stopping: AbortSignal;
  /** Per-principal limits and budgets. */
  readonly principalLimiter: PrincipalLimiter;
  /** Redacts sensitive data from every run's events; default none. */
  readonly redaction?: OutputRedaction;
  /** The service's tracer, for the spans of the store calls a run waits for; default none. */
  readonly tracer?: Tracer;
  /** The MCP servers' state, reported by `Health`; default none. */
  readonly mcpServers?: () => readonly McpServerStatus[];
}

/**
 * The router function: the run lifecycle behind `AgentService`, `RunService`,
 * the prompts behind `PromptService`, the audit log behind `AuditService`, `grpc.health.v1.Health`, and
 * gRPC server reflection (v1 and v1alpha) describing all of them, every method guarded by the request size limit.
 */
export function createRoutes(options: RoutesWiringOptions): (router: ConnectRouter) => void {
  const { config, executor, limits, limiter, store, audit, health, gateway, cache, version, metrics, logger, stopping, principalLimiter } = options;
  const { recorder, live, watcher, signals, replicaId } = options.runs;
  return (router) => {
    router.service(
      AgentService,
      createAgentService({
        lifecycle: createRunLifecycle({
          executor,
          limits,
          limiter,
          metrics,
          logger,
          recorder,
          store,
          live,
          watcher,
          threadHistory: (thread) =>
            loadThreadHistory(store, thread, { maxRuns: config.threads.historyRuns, maxChars: config.threads.historyChars }),
          idempotencyTtlMs: config.store.idempotencyTtlHours * 3_600_000,
          durableWaitMs: config.store.flushTimeoutMs,
          prompts: {
            defaultPrompt: config.prompts.defaultPrompt,
            choose: (name, version, principal) => options.prompts.catalog.choose(name, version, principal),
          },
          stopping,
          replicaId,
          turnReserveTokens: config.limits.turnReserveTokens,
          ...(options.redaction === undefined ? {} : { redaction: options.redaction }),
          ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
          audit,
        }),
        admissionOf: (principal) => principalLimiter.forRun(principal),
        health,
        models: () => gateway.status(),
        cache: () => cache?.state(),
        ...(options.mcpServers === undefined ? {} : { mcpServers: options.mcpServers }),
        runs: () => ({ inFlight: limiter.inFlight(), queued: limiter.queued(), maxConcurrent: config.maxConcurrentRuns, maxQueued: config.maxQueuedRuns }),
        version,
      }),
    );
    router.service(
      RunService,
      createRunService({
        store,
        recorder,
        logger,
        live,
        watcher,
        signals,
        getThread: createGetThreadHandler({ store, recorder, logger, principalOf: (ctx) => principalOf(ctx).id }),
      }),
    );
    router.service(
      PromptService,
      createPromptService({
        store,
        catalog: options.prompts.catalog,
        registrar: options.prompts.registrar,
        experiments: options.prompts.experiments,
        flushAudit: (signal) => audit.flush(signal),
        logger,
      }),
    );
    router.service(AuditService, createAuditService({ store, writer: audit, logger }));
    router.service(Health, createGrpcHealthService(health));
    router.service(ServerReflection, createReflectionService(routedServices));
    router.service(ServerReflectionV1alpha, createReflectionV1alphaService(routedServices));
    // Last, so that it covers every method registered above.
    guardRequestMessages(router, { maxBytes: config.http.maxRequestBytes, logger });
  };
}
