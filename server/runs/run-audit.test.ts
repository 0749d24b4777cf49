import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { StreamResponseSchema, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { StopReason, ToolCallStatus } from "../../gen/agent/v1/run_pb.js";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import type { AuditEntry } from "../store/index.js";
import { createRunAuditTrail } from "./run-audit.js";

const ids = { runId: "run-1", principal: "svc-orders", traceId: "0af7651916cd43dd8448eb211c80319c" };
const secretArguments = '{"expression":"17 * 23","note":"the customer\'s card is 4111 1111 1111 1111"}';

function trail() {
  const entries: AuditEntry[] = [];
  return { entries, trail: createRunAuditTrail({ append: (entry) => entries.push(entry) }, ids, () => 1_700_000_000_000) };
}

const events: Record<string, StreamResponse> = {
  started: create(StreamResponseSchema, { event: { case: "runStarted", value: { runId: "run-1", model: "sim-small", promptVersion: "p1", maxIterations: 8 } } }),
  model: create(StreamResponseSchema, {
    event: {
      case: "modelCallFinished",
      value: { iteration: 1, call: { model: "sim-small", text: "the model's words", attempt: 1, usage: { inputTokens: 40, outputTokens: 9, totalTokens: 49 }, costUsd: 0.0001 } },
    },
  }),
  tool: create(StreamResponseSchema, {
    event: {
      case: "toolCallFinished",
      value: { iteration: 1, call: { callId: "c1", name: "calculator", arguments: secretArguments, status: ToolCallStatus.OK, result: "391" } },
    },
  }),
  delta: create(StreamResponseSchema, { event: { case: "textDelta", value: { iteration: 2, text: "391" } } }),
  completed: create(StreamResponseSchema, {
    event: {
      case: "runCompleted",
      value: { result: { output: "17 * 23 = 391", stopReason: StopReason.FINAL_ANSWER, model: "sim-small", iterations: 2, usage: { inputTokens: 80, outputTokens: 20 }, costUsd: 0.0002 } },
    },
  }),
};

describe("createRunAuditTrail", () => {
  it("appends the run's start, model calls, tool calls and end, with the run's ids, and nothing for text", () => {
    const { entries, trail: audit } = trail();
    for (const event of [events.started, events.model, events.tool, events.delta, events.completed]) {
      audit.event(event as StreamResponse);
    }
    expect(entries.map((entry) => entry.action)).toEqual(["run_started", "model_call", "tool_call", "run_ended"]);
    expect(entries.every((entry) => entry.runId === "run-1" && entry.principal === "svc-orders" && entry.traceId === ids.traceId)).toBe(true);
    expect(entries[0]?.at).toEqual(new Date(1_700_000_000_000));
    expect(entries[1]?.detail).toEqual({ model: "sim-small", iteration: 1, attempt: 1, fallback: false, cached: false, input_tokens: 40, output_tokens: 9, cost_usd: 0.0001 });
    expect(entries[3]?.detail).toEqual({ status: "completed", stop_reason: "final_answer", model: "sim-small", iterations: 2, input_tokens: 80, output_tokens: 20, cost_usd: 0.0002 });
  });

  it("records a tool call's arguments only as their SHA-256, and never the input, output or results", () => {
    const { entries, trail: audit } = trail();
    audit.event(events.tool as StreamResponse);
    expect(entries[0]?.detail).toEqual({
      tool: "calculator",
      iteration: 1,
      status: "ok",
      arguments_sha256: createHash("sha256").update(secretArguments).digest("hex"),
    });
    const text = JSON.stringify(entries);
    for (const secret of ["4111", "17 * 23", "391", "the model's words"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("appends one end for a run that started and failed, with its error code", () => {
    const { entries, trail: audit } = trail();
    audit.event(events.started as StreamResponse);
    audit.failed(connectErrorWithDetail("over budget", Code.ResourceExhausted, { reason: "TOKEN_BUDGET_EXHAUSTED" }));
    audit.failed(new ConnectError("the caller went away", Code.Canceled));
    expect(entries.map((entry) => [entry.action, entry.detail])).toEqual([
      ["run_started", { model: "sim-small", prompt_version: "p1", max_iterations: 8 }],
      ["run_ended", { status: "failed", error_code: "TOKEN_BUDGET_EXHAUSTED" }],
    ]);
  });

  it("appends no end for a run that never started: its refusal is the call's denial", () => {
    const { entries, trail: audit } = trail();
    audit.failed(new ConnectError("the caller went away", Code.Canceled));
    expect(entries).toEqual([]);
  });

  it("records a canceled run as canceled", () => {
    const { entries, trail: audit } = trail();
    audit.event(events.started as StreamResponse);
    audit.failed(new ConnectError("the caller went away", Code.Canceled));
    expect(entries[1]?.detail).toEqual({ status: "canceled", error_code: "CANCELED" });
  });
});
