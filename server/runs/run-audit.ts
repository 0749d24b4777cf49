import { Code, type ConnectError } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import type { StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { StopReason, ToolCallStatus } from "../../gen/agent/v1/run_pb.js";
import type { AuditAction, AuditDetailValue, AuditEntry } from "../store/index.js";

/**
 * Where actions go to be appended to the audit log. `append` only queues
 * (the writer stores behind the run): it is cheap and never throws.
 */
export interface AuditAppender {
  append(entry: AuditEntry): void;
}

/** One run's actions, as its events and its end report them. */
export interface RunAuditTrail {
  /** Appends what the event is an action of: the run's start and completion, a model call, a tool call. */
  event(event: StreamResponse): void;
  /** Appends the end of a run that started and then failed or was canceled with `error`. */
  failed(error: ConnectError): void;
}

/** Whose run it is, for every entry of its trail. */
export interface RunAuditIds {
  readonly runId: string;
  readonly principal: string;
  readonly traceId: string;
}

/** Longest text kept in a detail value: a tool name comes from the model. */
const maxDetailChars = 128;

/**
 * Creates a run's audit trail over `audit`. Entries are built from what the
 * events already carry: never the input, the output, a model's text or a
 * tool's arguments or result, only the arguments' SHA-256. A run's end is
 * appended once, and only for a run whose start was.
 */
export function createRunAuditTrail(audit: AuditAppender, ids: RunAuditIds, now: () => number = Date.now): RunAuditTrail {
  let started = false;
  let ended = false;
  const append = (action: AuditAction, detail: Record<string, AuditDetailValue>) => {
    audit.append({ action, principal: ids.principal, runId: ids.runId, traceId: ids.traceId, at: new Date(now()), detail });
  };
  return {
    event(event) {
      const e = event.event;
      switch (e.case) {
        case "runStarted":
          started = true;
          append("run_started", { model: e.value.model, prompt_version: e.value.promptVersion, max_iterations: e.value.maxIterations });
          return;
        case "modelCallFinished": {
          const call = e.value.call;
          append("model_call", {
            model: call?.model ?? "",
            iteration: e.value.iteration,
            attempt: call?.attempt ?? 0,
            fallback: call?.fallback ?? false,
            cached: call?.cached ?? false,
            input_tokens: call?.usage?.inputTokens ?? 0,
            output_tokens: call?.usage?.outputTokens ?? 0,
            cost_usd: call?.costUsd ?? 0,
          });
          return;
        }
        case "toolCallFinished": {
          const call = e.value.call;
          append("tool_call", {
            tool: (call?.name ?? "").slice(0, maxDetailChars),
            iteration: e.value.iteration,
            status: ToolCallStatus[call?.status ?? ToolCallStatus.UNSPECIFIED].toLowerCase(),
            arguments_sha256: createHash("sha256").update(call?.arguments ?? "").digest("hex"),
          });
          return;
        }
        case "runCompleted": {
          const result = e.value.result;
          if (started && !ended) {
            ended = true;
            append("run_ended", {
              status: "completed",
              stop_reason: StopReason[result?.stopReason ?? StopReason.UNSPECIFIED].toLowerCase(),
              model: result?.model ?? "",
              iterations: result?.iterations ?? 0,
              input_tokens: result?.usage?.inputTokens ?? 0,
              output_tokens: result?.usage?.outputTokens ?? 0,
              cost_usd: result?.costUsd ?? 0,
            });
          }
          return;
        }
        default:
          return;
      }
    },
    failed(error) {
      if (!started || ended) {
        return;
      }
      ended = true;
      // The same error code as the run's record (see failedRow in run-lifecycle.ts).
      const reason = error.findDetails(ErrorDetailSchema)[0]?.reason;
      append("run_ended", {
        status: error.code === Code.Canceled ? "canceled" : "failed",
        error_code: reason ?? Code[error.code].toUpperCase(),
      });
    },
  };
}
