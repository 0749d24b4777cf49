import { create } from "@bufbuild/protobuf";
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { ExecuteResponseSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { copyRunState, decodeRunState, encodeRunState, RunStateDecodeError, type RunState } from "./run-state.js";

const state: RunState = {
  iteration: 1,
  messages: [
    new SystemMessage("You are a test."),
    new HumanMessage("What is 17 * 23?"),
    new AIMessage({ content: "", tool_calls: [{ id: "c1", name: "calculator", args: { expression: "17 * 23" }, type: "tool_call" }] }),
    new ToolMessage({ content: "391", tool_call_id: "c1", name: "calculator" }),
  ],
  summary: create(ExecuteResponseSchema, { runId: "r1", iterations: 1, costUsd: 0.001, usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } }),
};

describe("run state", () => {
  it("survives encoding: messages with their tool calls, the turn count and the summary", () => {
    const decoded = decodeRunState(encodeRunState(state));
    expect(decoded.iteration).toBe(1);
    expect(decoded.messages.map((m) => m.getType())).toEqual(["system", "human", "ai", "tool"]);
    const ai = decoded.messages[2];
    expect(ai instanceof AIMessage && ai.tool_calls).toEqual([expect.objectContaining({ id: "c1", name: "calculator", args: { expression: "17 * 23" } })]);
    const tool = decoded.messages[3];
    expect(tool instanceof ToolMessage && [tool.content, tool.tool_call_id]).toEqual(["391", "c1"]);
    expect(decoded.summary).toEqual(state.summary);
  });

  it("copies deeply: changing the copy leaves the original alone", () => {
    const copy = copyRunState(state);
    copy.summary.iterations = 7;
    expect(state.summary.iterations).toBe(1);
  });

  it.each([
    ["not JSON", "{"],
    ["another version", JSON.stringify({ version: 2, iteration: 0, messages: [], summary: {} })],
    ["a message without content", JSON.stringify({ version: 1, iteration: 0, messages: [{ type: "human", data: {} }], summary: {} })],
    ["a summary that is not an ExecuteResponse", JSON.stringify({ version: 1, iteration: 0, messages: [], summary: { noSuchField: 1 } })],
  ])("refuses %s with a RunStateDecodeError", (_, text) => {
    expect(() => decodeRunState(text)).toThrow(RunStateDecodeError);
  });
});
