import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type AgentService,
  CacheTierState,
  CircuitState,
  McpServerState,
  McpTransport,
  ServingStatus,
  type ExecuteResponse,
  type RunsHealth,
} from "../../gen/agent/v1/agent_service_pb.js";
import type { McpServerStatus } from "../agent/tools/mcp/index.js";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import type { ModelStatus } from "../model/model-gateway.js";
import type { BreakerState } from "../model/model-policy.js";
import type { ResponseCacheState } from "../model/cache/index.js";
import { principalOf, type Principal } from "../auth/principal.js";
import type { RunAdmission } from "../runs/run-admission.js";
import type { RunLifecycle } from "../runs/run-lifecycle.js";
import type { HealthStatus } from "./health-status.js";
import { serverSpanKey } from "./trace-interceptor.js";

const circuitStates: Record<BreakerState, CircuitState> = {
  closed: CircuitState.CLOSED,
  open: CircuitState.OPEN,
  "half-open": CircuitState.HALF_OPEN,
};

const mcpStates: Record<McpServerStatus["state"], McpServerState> = {
  connecting: McpServerState.CONNECTING,
  connected: McpServerState.CONNECTED,
  unavailable: McpServerState.UNAVAILABLE,
};

const mcpTransports: Record<McpServerStatus["transport"], McpTransport> = {
  stdio: McpTransport.STDIO,
  http: McpTransport.STREAMABLE_HTTP,
};

/** Dependencies of {@link createAgentService}. */
export interface AgentServiceOptions {
  /** Every run, from admission to its record. */
  readonly lifecycle: RunLifecycle;
  readonly health: HealthStatus;
  /** The configured models' state, primary first. */
  readonly models: () => readonly ModelStatus[];
  /** The response cache's state; undefined when the cache is off. */
  readonly cache: () => ResponseCacheState | undefined;
  /** The configured MCP servers' state, in configuration order. Default none. */
  readonly mcpServers?: () => readonly McpServerStatus[];
  /** A principal's limits for one run (concurrent runs, token and cost budgets). Default none. */
  readonly admissionOf?: (principal: Principal) => RunAdmission;
  /** Version of the service, reported by Health. */
  readonly version: string;
  /** The runs on this replica, executing and waiting for a slot, against its limits; reported by Health. Default none. */
  readonly runs?: () => Pick<RunsHealth, "inFlight" | "queued" | "maxConcurrent" | "maxQueued">;
  /** Wall clock in milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The AgentService handlers, thin adapters over the run lifecycle: Stream
 * forwards a run's events, Execute consumes the same events and answers with
 * the summary the last one carries.
 */
export function createAgentService(options: AgentServiceOptions): ServiceImpl<typeof AgentService> {
  const { lifecycle, health, models, cache, version, admissionOf } = options;
  const callerOf = (ctx: Parameters<typeof principalOf>[0]) => {
    const principal = principalOf(ctx);
    return {
      principal: principal.id,
      // API keys' principals are configured, a JWT's subject is not: a metric label must stay bounded.
      principalLabel: principal.via === "jwt" ? "_OTHER" : principal.id,
      ...(admissionOf === undefined ? {} : { admission: admissionOf(principal) }),
    };
  };
  const now = options.now ?? Date.now;
  const startedAt = now();

  return {
    async execute(req, ctx): Promise<ExecuteResponse> {
      // The same run as Stream's; only the text deltas, which the summary never uses, are not produced.
      for await (const event of lifecycle.run({ fields: req, signal: ctx.signal, span: ctx.values.get(serverSpanKey), streamText: false, ...callerOf(ctx) })) {
        if (event.event.case === "runCompleted" && event.event.value.result !== undefined) {
          return event.event.value.result;
        }
      }
      // The executor always ends with runCompleted or throws; this is a bug.
      throw new ConnectError("internal error: the run ended without a summary", Code.Internal);
    },

    stream(req, ctx) {
      return lifecycle.run({ fields: req, signal: ctx.signal, span: ctx.values.get(serverSpanKey), streamText: true, ...callerOf(ctx) });
    },

    health() {
      const serving = health.get("") === HealthCheckResponse_ServingStatus.SERVING;
      return {
        status: serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING,
        version,
        uptime: durationFromMs(now() - startedAt),
        models: models().map((m) => ({
          name: m.name,
          position: m.position,
          circuitState: circuitStates[m.breaker],
          recentCalls: m.recent.calls,
          recentErrorRate: m.recent.errorRate,
          lastError: m.lastError ?? "",
        })),
        cache: cacheHealthOf(cache()),
        mcpServers: (options.mcpServers?.() ?? []).map((server) => ({
          name: server.name,
          transport: mcpTransports[server.transport],
          state: mcpStates[server.state],
          toolCount: server.toolCount,
          lastError: server.lastError ?? "",
        })),
        ...(options.runs === undefined ? {} : { runs: options.runs() }),
      };
    },
  };
}

function cacheHealthOf(state: ResponseCacheState | undefined) {
  if (state === undefined) {
    return { l2State: CacheTierState.DISABLED };
  }
  const l2 = { disabled: CacheTierState.DISABLED, ready: CacheTierState.READY, degraded: CacheTierState.DEGRADED };
  return { l1Entries: state.l1.entries, l1Bytes: BigInt(state.l1.bytes), l2State: l2[state.l2] };
}
