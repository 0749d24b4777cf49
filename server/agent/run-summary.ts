import { create, type JsonObject } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ExecuteResponseSchema, type ExecuteResponse, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { StepSchema, UsageSchema, type StopReason } from "../../gen/agent/v1/run_pb.js";

/** An empty run summary, to fold events into with {@link applyRunEvent}. */
export function createRunSummary(): ExecuteResponse {
  return create(ExecuteResponseSchema, { usage: create(UsageSchema) });
}

/**
 * Folds one stream event into a run summary. The executor builds the summary
 * of `run_completed` with this fold, so the summary is by construction what
 * the events before it say: a consumer of Stream can rebuild it the same way.
 *
 * Only model turns that finished count: text deltas of a restarted step are
 * void and never reach the summary.
 */
export function applyRunEvent(summary: ExecuteResponse, event: StreamResponse): void {
  const e = event.event;
  switch (e.case) {
    case "runStarted":
      summary.runId = e.value.runId;
      summary.traceId = e.value.traceId;
      summary.model = e.value.model;
      summary.promptVersion = e.value.promptVersion;
      return;
    case "modelCallFinished": {
      const call = e.value.call;
      if (call === undefined) {
        return;
      }
      summary.steps.push(create(StepSchema, { iteration: e.value.iteration, kind: { case: "modelCall", value: call } }));
      summary.iterations = Math.max(summary.iterations, e.value.iteration);
      summary.model = call.model;
      summary.fallbackUsed ||= call.fallback;
      // Summed in whole picodollars, as prices are, so no float noise builds up.
      summary.costUsd = Math.round((summary.costUsd + call.costUsd) * 1e12) / 1e12;
      const usage = (summary.usage ??= create(UsageSchema));
      usage.inputTokens += call.usage?.inputTokens ?? 0;
      usage.outputTokens += call.usage?.outputTokens ?? 0;
      usage.totalTokens += call.usage?.totalTokens ?? 0;
      return;
    }
    case "toolCallFinished":
      if (e.value.call !== undefined) {
        summary.steps.push(create(StepSchema, { iteration: e.value.iteration, kind: { case: "toolCall", value: e.value.call } }));
      }
      return;
    case "textDelta":
    case "toolCallStarted":
    case "stepRestarted":
    case "runCompleted":
    case undefined:
      return;
  }
}

/** How a run ended: what its summary says beyond the fold of the events before `runCompleted`. */
export interface RunEnding {
  readonly stopReason: StopReason;
  /** The final answer's text; empty when the run stopped without one. */
  readonly output: string;
  /**
   * The final answer parsed, when the prompt version declares an output
   * schema and the answer validated; undefined otherwise, and whenever the
   * run stopped without a valid answer (out of iterations, time or cost).
   */
  readonly structuredOutput?: JsonObject | undefined;
  readonly durationMs: number;
}

/**
 * Writes how the run ended into its summary: the fields no event before
 * `runCompleted` carries, so the summary that event (and so `Execute`)
 * carries is the fold of the events plus exactly these.
 */
export function endRunSummary(summary: ExecuteResponse, ending: RunEnding): void {
  summary.stopReason = ending.stopReason;
  summary.output = ending.output;
  summary.duration = durationFromMs(Math.round(ending.durationMs));
  summary.structuredOutput = ending.structuredOutput;
}
