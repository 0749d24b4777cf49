import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { StreamResponseSchema, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { StepSchema, ToolCallStatus } from "../../gen/agent/v1/run_pb.js";
import { emptyTimeline, foldEvent, foldEvents, timelineFromSteps, timelineTotals } from "./timeline.js";

/** Events numbered from 1, as a stream sends them. */
function events(...inits: MessageInitShape<typeof StreamResponseSchema>["event"][]): StreamResponse[] {
  return inits.map((event, index) => create(StreamResponseSchema, { event, seq: index + 1 }));
}

const twoToolRun = events(
  { case: "runStarted", value: { runId: "r1", traceId: "t1", model: "sim-small", promptVersion: "default@abc" } },
  { case: "textDelta", value: { iteration: 1, text: "Let me " } },
  { case: "textDelta", value: { iteration: 1, text: "check." } },
  { case: "modelCallFinished", value: { iteration: 1, call: { model: "sim-small", text: "Let me check.", attempt: 1, finishReason: "tool_calls", costUsd: 0.001 } } },
  { case: "toolCallStarted", value: { iteration: 1, callId: "a", name: "calculator", arguments: '{"expression":"17*23"}' } },
  { case: "toolCallStarted", value: { iteration: 1, callId: "b", name: "current_time", arguments: "{}" } },
  { case: "toolCallFinished", value: { iteration: 1, call: { callId: "b", name: "current_time", arguments: "{}", status: ToolCallStatus.OK, result: "12:00" } } },
  { case: "toolCallFinished", value: { iteration: 1, call: { callId: "a", name: "calculator", arguments: '{"expression":"17*23"}', status: ToolCallStatus.OK, result: "391" } } },
  { case: "modelCallFinished", value: { iteration: 2, call: { model: "sim-small", text: "391 at 12:00", attempt: 1, finishReason: "stop" } } },
  { case: "runCompleted", value: { result: { runId: "r1", output: "391 at 12:00" } } },
);

describe("foldEvents", () => {
  it("folds a run into its model turns and tool calls, in order", () => {
    const timeline = foldEvents(twoToolRun);
    expect(timeline.items.map((item) => (item.kind === "tool" ? `tool ${item.name} ${item.call?.result ?? "…"}` : `${item.kind} ${item.iteration}`))).toEqual([
      "model 1",
      "tool calculator 391",
      "tool current_time 12:00",
      "model 2",
    ]);
    expect(timeline.started?.runId).toBe("r1");
    expect(timeline.completed?.output).toBe("391 at 12:00");
    expect(timeline.lastSeq).toBe(10);
    expect(new Set(timeline.items.map((item) => item.key)).size).toBe(4);
  });

  it("shows a turn's text as it streams, then the finished turn's", () => {
    const partial = foldEvents(twoToolRun.slice(0, 3));
    expect(partial.items).toMatchObject([{ kind: "model", iteration: 1, text: "Let me check." }]);
    expect(partial.items[0]).not.toHaveProperty("call");
    const finished = foldEvent(partial, twoToolRun[3] as StreamResponse);
    expect(finished.items[0]).toMatchObject({ text: "Let me check.", call: { finishReason: "tool_calls" } });
  });

  it("ignores events it has already folded, so a watch may replay them", () => {
    const once = foldEvents(twoToolRun);
    expect(foldEvents(twoToolRun, once)).toBe(once);
  });

  it("turns a restart into a marker and drops the failed model's text", () => {
    const timeline = foldEvents(
      events(
        { case: "textDelta", value: { iteration: 1, text: "half an ans" } },
        { case: "stepRestarted", value: { iteration: 1, failedModel: "sim-small", nextModel: "sim-large", reason: "stream cut" } },
        { case: "textDelta", value: { iteration: 1, text: "A whole answer." } },
        { case: "modelCallFinished", value: { iteration: 1, call: { model: "sim-large", text: "A whole answer.", fallback: true } } },
      ),
    );
    expect(timeline.items).toMatchObject([
      { kind: "restart", failedModel: "sim-small", nextModel: "sim-large", reason: "stream cut", discardedText: "half an ans" },
      { kind: "model", text: "A whole answer.", call: { fallback: true } },
    ]);
  });

  it("starts from the empty timeline", () => {
    expect(foldEvents([])).toBe(emptyTimeline);
  });
});

describe("timelineFromSteps", () => {
  it("reads recorded steps when there are no events", () => {
    const timeline = timelineFromSteps([
      create(StepSchema, { iteration: 1, kind: { case: "modelCall", value: { model: "m", text: "" } } }),
      create(StepSchema, { iteration: 1, kind: { case: "toolCall", value: { callId: "a", name: "calculator", result: "4" } } }),
    ]);
    expect(timeline.items).toMatchObject([{ kind: "model" }, { kind: "tool", name: "calculator", call: { result: "4" } }]);
  });
});

describe("timelineTotals", () => {
  it("adds up the finished model turns", () => {
    const timeline = foldEvents(
      events(
        { case: "modelCallFinished", value: { iteration: 1, call: { usage: { inputTokens: 10, outputTokens: 2, totalTokens: 12 }, costUsd: 0.001 } } },
        { case: "modelCallFinished", value: { iteration: 2, call: { usage: { inputTokens: 20, outputTokens: 3, totalTokens: 23 }, costUsd: 0.002 } } },
        { case: "textDelta", value: { iteration: 3, text: "still going" } },
      ),
    );
    const totals = timelineTotals(timeline);
    expect(totals).toMatchObject({ inputTokens: 30, outputTokens: 5, totalTokens: 35, modelTurns: 2 });
    expect(totals.costUsd).toBeCloseTo(0.003);
  });
});
