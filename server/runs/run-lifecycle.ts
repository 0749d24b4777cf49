import { toBinary } from "@bufbuild/protobuf";
import { sizeDelimitedEncode } from "@bufbuild/protobuf/wire";
import { Code } from "@connectrpc/connect";
import { ROOT_CONTEXT, trace, type Span } from "@opentelemetry/api";
import type { Logger } from "pino";
import { ExecuteResponseSchema, StreamResponseSchema, type ExecuteResponse, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { StopReason } from "../../gen/agent/v1/run_pb.js";
import type { AgentExecutor } from "../agent/agent-executor.js";
import { toConnectError } from "../rpc/error-mapping.js";
import { resolveRunLimits, type RequestLimits, type RunFields } from "../rpc/request-rules.js";
import type { RunLimiter } from "../rpc/run-limiter.js";
import { traceIdOf } from "../rpc/trace-interceptor.js";
import type { RunRow, RunStatus } from "../store/index.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";
import type { RunStopReason } from "../telemetry/service-metric-events.js";
import type { RunRecorder } from "./run-recorder.js";

/** Dependencies of {@link createRunLifecycle}. */
export interface RunLifecycleOptions {
  readonly executor: AgentExecutor;
  /** Defaults and caps for caller-supplied limits. */
  readonly limits: RequestLimits;
  /** Bounds concurrent runs; a run waits here for a slot before it starts. */
  readonly limiter: RunLimiter;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  /** Where runs and their events are recorded, behind the run. */
  readonly recorder: RunRecorder;
  /** Wall clock in milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/** One run as an RPC asks for it. */
export interface RunCall {
  readonly fields: RunFields;
  /** The RPC's signal: the caller going away or its deadline stops the run. */
  readonly signal: AbortSignal;
  /** The RPC's server span; the run's spans are its children. */
  readonly span: Span | undefined;
  /** Whether text deltas are produced (Stream) or not (Execute, which only folds). */
  readonly streamText: boolean;
}

/** Owns a run from admission to its record. */
export interface RunLifecycle {
  /**
   * Runs the agent and yields its events, each with its `seq`, ending with
   * `runCompleted`; throws the `ConnectError` the caller gets when the run
   * fails. Every event is recorded, and the run's row when it starts and ends.
   */
  run(call: RunCall): AsyncGenerator<StreamResponse, void, undefined>;
}

/** Until callers authenticate, every run is the anonymous principal's. */
const anonymous = "anonymous";

/**
 * Creates the run lifecycle, the one sequence every run goes through: an
 * execution slot, the executor's events numbered and recorded, the run's row
 * written when it starts and when it ends, its log lines and metrics. The
 * RPC handlers (Execute, Stream) are thin adapters over it.
 */
export function createRunLifecycle(options: RunLifecycleOptions): RunLifecycle {
  const { executor, limits, limiter, metrics, logger, recorder } = options;
  const now = options.now ?? Date.now;

  async function* run({ fields, signal, span, streamText }: RunCall): AsyncGenerator<StreamResponse, void, undefined> {
    const traceId = traceIdOf(span);
    const resolved = resolveRunLimits(fields, limits);
    // The run's own lines (model calls, tools) add their span's id to `runLog`;
    // these lines carry the RPC span's. pino repeats a key a child sets again,
    // so each line must get `span_id` from exactly one place.
    const runLog = logger.child({ trace_id: traceId, principal: anonymous });
    const spanId = span?.spanContext().spanId;
    let row: RunRow | undefined;
    const ids = () => ({ span_id: spanId, run_id: row?.runId });
    const modelsUsed: string[] = [];
    let seq = 0;
    let release: (() => void) | undefined;
    const started = now();
    let stopReason: RunStopReason = "error";
    try {
      // Waits for a slot; refused at once when the queue is full too.
      release = await limiter.acquire(signal);
      metrics.runStarted();
      const request = {
        input: fields.input,
        traceId,
        useCache: !fields.bypassCache,
        streamText,
        traceContext: span === undefined ? undefined : trace.setSpan(ROOT_CONTEXT, span),
        log: runLog,
        ...resolved,
      };
      for await (const event of executor.run(request, signal)) {
        seq += 1;
        event.seq = seq;
        const e = event.event;
        if (e.case === "runStarted") {
          row = startedRow(e.value.runId, fields.input, e.value.model, e.value.promptVersion, traceId, started);
          recorder.run(row);
          runLog.info(
            { ...ids(), model: e.value.model, max_iterations: resolved.maxIterations, max_execution_time_ms: resolved.maxExecutionTimeMs },
            "run started",
          );
        } else if (e.case === "modelCallFinished" && e.value.call !== undefined && !modelsUsed.includes(e.value.call.model)) {
          modelsUsed.push(e.value.call.model);
        } else if (e.case === "runCompleted" && e.value.result !== undefined && row !== undefined) {
          const result = e.value.result;
          stopReason = StopReason[result.stopReason].toLowerCase() as RunStopReason;
          row = completedRow(row, result, modelsUsed, now());
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
        if (row !== undefined) {
          recorder.event({ runId: row.runId, seq, lastSeq: seq, kind: e.case ?? "", payload: sizeDelimitedEncode(StreamResponseSchema, event), at: new Date() });
          if (e.case === "runCompleted") {
            // After the event, so that a completed row never has fewer events than it had.
            recorder.run(row);
          }
        }
        yield event;
      }
    } catch (err) {
      stopReason = signal.aborted ? "canceled" : "error";
      const { error, internal } = toConnectError(err, { runId: row?.runId, traceId });
      if (internal) {
        runLog.error({ ...ids(), err }, "run failed with an internal error");
      } else {
        runLog.warn({ ...ids(), code: Code[error.code], reason: error.rawMessage }, "run failed");
      }
      if (row !== undefined && row.status === "running") {
        const status: RunStatus = error.code === Code.Canceled ? "canceled" : "failed";
        const reason = error.findDetails(ErrorDetailSchema)[0]?.reason;
        row = {
          ...row,
          status,
          modelsUsed: [...modelsUsed],
          errorCode: reason ?? Code[error.code].toUpperCase(),
          errorMessage: error.rawMessage,
          endedAt: new Date(now()),
        };
        recorder.run(row);
      }
      throw error;
    } finally {
      if (row !== undefined && row.status === "running") {
        // The consumer stopped reading mid-run (the caller went away between two events).
        row = { ...row, status: "canceled", modelsUsed: [...modelsUsed], errorCode: "CANCELED", errorMessage: "the caller went away", endedAt: new Date(now()) };
        recorder.run(row);
      }
      if (release !== undefined) {
        release();
        metrics.runFinished({ stopReason, durationS: (now() - started) / 1000 });
      }
    }
  }

  return { run };
}

function startedRow(runId: string, input: string, model: string, promptVersion: string, traceId: string, startedAt: number): RunRow {
  return {
    runId,
    principal: anonymous,
    threadId: "",
    status: "running",
    input,
    output: "",
    promptVersion,
    model,
    modelsUsed: [],
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    costUsd: 0,
    iterations: 0,
    stopReason: "",
    errorCode: "",
    errorMessage: "",
    traceId,
    idempotencyKey: "",
    requestDigest: "",
    startedAt: new Date(startedAt),
    endedAt: undefined,
    result: undefined,
  };
}

function completedRow(row: RunRow, result: ExecuteResponse, modelsUsed: readonly string[], endedAt: number): RunRow {
  return {
    ...row,
    status: "completed",
    output: result.output,
    model: result.model,
    modelsUsed: [...modelsUsed],
    inputTokens: result.usage?.inputTokens ?? 0,
    outputTokens: result.usage?.outputTokens ?? 0,
    totalTokens: result.usage?.totalTokens ?? 0,
    costUsd: result.costUsd,
    iterations: result.iterations,
    stopReason: StopReason[result.stopReason].toLowerCase(),
    endedAt: new Date(endedAt),
    result: toBinary(ExecuteResponseSchema, result),
  };
}
