import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import type { Logger } from "pino";
import {
  type AgentService,
  CacheTierState,
  CircuitState,
  ServingStatus,
  type ExecuteResponse,
  type StreamResponse,
} from "../../gen/agent/v1/agent_service_pb.js";
import { StopReason } from "../../gen/agent/v1/run_pb.js";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import type { AgentExecutor } from "../agent/agent-executor.js";
import type { ModelStatus } from "../model/model-gateway.js";
import type { BreakerState } from "../model/model-policy.js";
import type { ResponseCacheState } from "../model/cache/index.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";
import type { RunStopReason } from "../telemetry/service-metric-events.js";
import { toConnectError } from "./error-mapping.js";
import type { RunLimiter } from "./run-limiter.js";
import type { HealthStatus } from "./health-status.js";
import { resolveRunLimits, type RequestLimits, type RunFields } from "./request-rules.js";
import { serverSpanKey, traceIdOf } from "./trace-interceptor.js";

const circuitStates: Record<BreakerState, CircuitState> = {
  closed: CircuitState.CLOSED,
  open: CircuitState.OPEN,
  "half-open": CircuitState.HALF_OPEN,
};

/** Dependencies of {@link createAgentService}. */
export interface AgentServiceOptions {
  readonly executor: AgentExecutor;
  /** Defaults and caps for caller-supplied limits (checked by the validation interceptor). */
  readonly limits: RequestLimits;
  readonly logger: Logger;
  readonly health: HealthStatus;
  /** The configured models' state, primary first. */
  readonly models: () => readonly ModelStatus[];
  /** The response cache's state; undefined when the cache is off. */
  readonly cache: () => ResponseCacheState | undefined;
  /** Version of the service, reported by Health. */
  readonly version: string;
  /** Wall clock in milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Bounds concurrent runs; a run waits here for a slot before it starts. */
  readonly limiter: RunLimiter;
  /** Run metrics. */
  readonly metrics: ServiceMetrics;
}

/**
 * The AgentService handlers. There is one execution path: Stream forwards
 * the executor's events, Execute consumes the same events and answers with
 * the summary the last one carries.
 */
export function createAgentService(options: AgentServiceOptions): ServiceImpl<typeof AgentService> {
  const { executor, limits, logger, health, models, cache, version, limiter, metrics } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();

  async function* runEvents(fields: RunFields, ctx: HandlerContext, streamText: boolean): AsyncGenerator<StreamResponse> {
    const span = ctx.values.get(serverSpanKey);
    const traceId = traceIdOf(span);
    const resolved = resolveRunLimits(fields, limits);
    let runId: string | undefined;
    // The run's own lines (model calls, tools) add their span's id to `runLog`;
    // this handler's lines carry the RPC span's. pino repeats a key a child
    // sets again, so each line must get `span_id` from exactly one place.
    const runLog = logger.child({ trace_id: traceId, principal: "anonymous" });
    // Fields of this handler's few lines rather than two more child loggers,
    // which cost more to build than the lines they would write.
    const spanId = span?.spanContext().spanId;
    const ids = () => ({ span_id: spanId, run_id: runId });
    let release: (() => void) | undefined;
    const started = now();
    let stopReason: RunStopReason = "error";
    try {
      // Waits for a slot; refused at once when the queue is full too.
      release = await limiter.acquire(ctx.signal);
      metrics.runStarted();
      const run = {
        input: fields.input,
        traceId,
        useCache: !fields.bypassCache,
        streamText,
        traceContext: span === undefined ? undefined : trace.setSpan(ROOT_CONTEXT, span),
        log: runLog,
        ...resolved,
      };
      for await (const event of executor.run(run, ctx.signal)) {
        const e = event.event;
        if (e.case === "runStarted") {
          runId = e.value.runId;
          runLog.info(
            {
              ...ids(),
              model: e.value.model,
              max_iterations: resolved.maxIterations,
              max_execution_time_ms: resolved.maxExecutionTimeMs,
            },
            "run started",
          );
        } else if (e.case === "runCompleted" && e.value.result !== undefined) {
          const result = e.value.result;
          stopReason = StopReason[result.stopReason].toLowerCase() as RunStopReason;
          runLog.info(
            {
              ...ids(),
              stop_reason: StopReason[result.stopReason],
              iterations: result.iterations,
              model: result.model,
              fallback_used: result.fallbackUsed,
              input_tokens: result.usage?.inputTokens,
              output_tokens: result.usage?.outputTokens,
              cost_usd: result.costUsd,
            },
            "run finished",
          );
        }
        yield event;
      }
    } catch (err) {
      stopReason = ctx.signal.aborted ? "canceled" : "error";
      const { error, internal } = toConnectError(err, { runId, traceId });
      if (internal) {
        runLog.error({ ...ids(), err }, "run failed with an internal error");
      } else {
        runLog.warn({ ...ids(), code: Code[error.code], reason: error.rawMessage }, "run failed");
      }
      throw error;
    } finally {
      if (release !== undefined) {
        release();
        metrics.runFinished({ stopReason, durationS: (now() - started) / 1000 });
      }
    }
  }

  return {
    async execute(req, ctx): Promise<ExecuteResponse> {
      // The same run as Stream's; only the text deltas, which the summary never uses, are not produced.
      for await (const event of runEvents(req, ctx, false)) {
        if (event.event.case === "runCompleted" && event.event.value.result !== undefined) {
          return event.event.value.result;
        }
      }
      // The executor always ends with runCompleted or throws; this is a bug.
      throw new ConnectError("internal error: the run ended without a summary", Code.Internal);
    },

    stream(req, ctx) {
      return runEvents(req, ctx, true);
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
