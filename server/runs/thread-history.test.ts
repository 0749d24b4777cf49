import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { convertMessagesToCompletionsMessageParams } from "@langchain/openai";
import { describe, expect, it } from "vitest";
import { ExecuteResponseSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { ToolCallStatus, type StepSchema } from "../../gen/agent/v1/run_pb.js";
import type { RunRow, RunStore } from "../store/index.js";
import { completedRun, runningRun } from "../store/testing/run-fixtures.js";
import { loadThreadHistory, threadHistoryMessages, truncationMark } from "./thread-history.js";

type StepInit = MessageInitShape<typeof StepSchema>;

const modelCall = (iteration: number, text: string, ...toolCallIds: string[]): StepInit => ({
  iteration,
  kind: { case: "modelCall", value: { model: "sim-small", text, toolCallIds } },
});
const toolCall = (iteration: number, callId: string, name: string, args: string, result: string, status = ToolCallStatus.OK): StepInit => ({
  iteration,
  kind: { case: "toolCall", value: { callId, name, arguments: args, status, result } },
});

let started = Date.UTC(2030, 0, 1);

/** A completed run of the thread, with these steps recorded in its result. */
function run(input: string, output: string, steps: StepInit[] = [modelCall(1, output)], fields: Partial<RunRow> = {}): RunRow {
  started += 1_000;
  return completedRun({
    runId: `run-${started}`,
    input,
    output,
    startedAt: new Date(started),
    endedAt: new Date(started + 500),
    result: toBinary(ExecuteResponseSchema, create(ExecuteResponseSchema, { output, steps })),
    ...fields,
  });
}

const wide = { maxRuns: 20, maxChars: 24_000 };

/** The messages as role and content, with tool calls, for compact assertions. */
function shapes(messages: readonly BaseMessage[]) {
  return messages.map((message) => {
    if (message instanceof ToolMessage) return { tool: message.tool_call_id, name: message.name, content: message.content };
    if (message instanceof AIMessage) {
      return message.tool_calls?.length
        ? { ai: message.content, calls: message.tool_calls.map(({ id, name, args }) => ({ id, name, args })) }
        : { ai: message.content };
    }
    if (message instanceof HumanMessage) return { human: message.content };
    return { other: message.content };
  });
}

describe("threadHistoryMessages", () => {
  it("gives each run's input and answer, oldest run first", () => {
    const history = threadHistoryMessages([run("first question", "first answer"), run("second question", "second answer")], wide);
    expect(shapes(history)).toEqual([{ human: "first question" }, { ai: "first answer" }, { human: "second question" }, { ai: "second answer" }]);
  });

  it("gives nothing for a thread without runs", () => {
    expect(threadHistoryMessages([], wide)).toEqual([]);
  });

  it("replays a tool-calling turn as an AI message with tool_calls, then one tool message per call in the order asked", () => {
    const steps = [
      modelCall(1, "Let me check.", "c1", "c2"),
      // Parallel calls are recorded as they finish: c2 first.
      toolCall(1, "c2", "current_time", '{"timezone":"UTC"}', "12:00"),
      toolCall(1, "c1", "calculator", '{"expression":"2 + 2"}', "4"),
      modelCall(2, "2 + 2 = 4. It is 12:00."),
    ];
    const history = threadHistoryMessages([run("2 + 2, and the time?", "2 + 2 = 4. It is 12:00.", steps)], wide);
    expect(shapes(history)).toEqual([
      { human: "2 + 2, and the time?" },
      {
        ai: "Let me check.",
        calls: [
          { id: "c1", name: "calculator", args: { expression: "2 + 2" } },
          { id: "c2", name: "current_time", args: { timezone: "UTC" } },
        ],
      },
      { tool: "c1", name: "calculator", content: "4" },
      { tool: "c2", name: "current_time", content: "12:00" },
      { ai: "2 + 2 = 4. It is 12:00." },
    ]);
  });

  it("matches calls to their own turn when a model reuses a call id", () => {
    const steps = [
      modelCall(1, "", "call_0"),
      toolCall(1, "call_0", "calculator", '{"expression":"1 / 0"}', "Error: division by zero", ToolCallStatus.FAILED),
      modelCall(2, "", "call_0"),
      toolCall(2, "call_0", "calculator", '{"expression":"1 / 1"}', "1"),
      modelCall(3, "1"),
    ];
    const history = threadHistoryMessages([run("1 / 0?", "1", steps)], wide);
    expect(shapes(history).slice(1, 5)).toEqual([
      { ai: "", calls: [{ id: "call_0", name: "calculator", args: { expression: "1 / 0" } }] },
      { tool: "call_0", name: "calculator", content: "Error: division by zero" },
      { ai: "", calls: [{ id: "call_0", name: "calculator", args: { expression: "1 / 1" } }] },
      { tool: "call_0", name: "calculator", content: "1" },
    ]);
  });

  describe.each([
    ["truncated JSON", '{"expression":"2 +'],
    ["a JSON array", "[1, 2]"],
    ["a JSON string", '"2 + 2"'],
    ["JSON null", "null"],
    ["empty text", ""],
  ])("for arguments that are %s", (_case, args) => {
    it("sends {} as the executor did, with the error the model was shown", () => {
      const error = "Error: invalid arguments for calculator: the arguments were not valid JSON.";
      const steps = [modelCall(1, "", "c1"), toolCall(1, "c1", "calculator", args, error, ToolCallStatus.INVALID_ARGUMENTS), modelCall(2, "sorry")];
      const history = threadHistoryMessages([run("2 + 2?", "sorry", steps)], wide);
      expect(shapes(history).slice(1, 3)).toEqual([
        { ai: "", calls: [{ id: "c1", name: "calculator", args: {} }] },
        { tool: "c1", name: "calculator", content: error },
      ]);
    });
  });

  it("leaves out a call without an outcome, and a turn left with none", () => {
    const steps = [
      modelCall(1, "", "c1", "c2"),
      toolCall(1, "c1", "calculator", '{"expression":"2 + 2"}', "4"),
      // c2 never finished: the run hit its time limit.
      modelCall(2, "", "c3"),
    ];
    const history = threadHistoryMessages([run("2 + 2?", "", steps, { stopReason: "time_limit" })], wide);
    expect(shapes(history)).toEqual([
      { human: "2 + 2?" },
      { ai: "", calls: [{ id: "c1", name: "calculator", args: { expression: "2 + 2" } }] },
      { tool: "c1", name: "calculator", content: "4" },
    ]);
  });

  it("repeats neither empty replies nor the answer's own model turn", () => {
    const steps = [modelCall(1, ""), modelCall(2, "the answer")];
    expect(shapes(threadHistoryMessages([run("q", "the answer", steps)], wide))).toEqual([{ human: "q" }, { ai: "the answer" }]);
  });

  it("keeps the input and answer of a run whose result cannot be decoded", () => {
    const corrupt = run("q", "a", [], { result: Uint8Array.from([0xff, 0xff, 0xff]) });
    const missing = run("q2", "a2", [], { result: undefined });
    expect(shapes(threadHistoryMessages([corrupt, missing], wide))).toEqual([{ human: "q" }, { ai: "a" }, { human: "q2" }, { ai: "a2" }]);
  });

  it("skips runs that are not completed", () => {
    const failed = run("failed q", "", [], { status: "failed", errorCode: "MODEL_UNAVAILABLE" });
    const running = runningRun({ runId: "still-running", input: "running q" });
    expect(shapes(threadHistoryMessages([run("q", "a"), failed, running], wide))).toEqual([{ human: "q" }, { ai: "a" }]);
  });

  it("gives messages the OpenAI wire protocol accepts: every tool call answered, in order", () => {
    const steps = [modelCall(1, "", "c1"), toolCall(1, "c1", "calculator", "{bad", "Error: bad"), modelCall(2, "done")];
    const wire = convertMessagesToCompletionsMessageParams({ messages: threadHistoryMessages([run("q", "done", steps)], wide) });
    expect(wire).toEqual([
      { role: "user", content: "q" },
      { role: "assistant", content: "", tool_calls: [{ id: "c1", type: "function", function: { name: "calculator", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c1", name: "calculator", content: "Error: bad" },
      { role: "assistant", content: "done" },
    ]);
  });

  describe("window", () => {
    // Each run counts 10 characters: a 4-character input and a 6-character answer.
    const runs = ["q001", "q002", "q003", "q004"].map((input) => run(input, `a-${input}`));
    const inputs = (history: readonly BaseMessage[]) => history.filter((m) => m instanceof HumanMessage).map((m) => m.content);

    it.each([
      [{ maxRuns: 20, maxChars: 40 }, ["q001", "q002", "q003", "q004"]],
      [{ maxRuns: 20, maxChars: 39 }, ["q002", "q003", "q004"]],
      [{ maxRuns: 20, maxChars: 30 }, ["q002", "q003", "q004"]],
      [{ maxRuns: 20, maxChars: 29 }, ["q003", "q004"]],
      [{ maxRuns: 2, maxChars: 24_000 }, ["q003", "q004"]],
      [{ maxRuns: 1, maxChars: 24_000 }, ["q004"]],
      [{ maxRuns: 0, maxChars: 24_000 }, []],
      [{ maxRuns: 20, maxChars: 0 }, []],
    ])("with %o keeps the newest runs whole: %o", (window, expected) => {
      expect(inputs(threadHistoryMessages(runs, window))).toEqual(expected);
    });

    it("counts tool arguments and results, and turn text", () => {
      const steps = [modelCall(1, "tt", "c1"), toolCall(1, "c1", "calculator", "aaaa", "rrrr"), modelCall(2, "a")];
      // 1 (input) + 2 (text) + 4 (arguments) + 4 (result) + 1 (answer) = 12.
      const tools = run("q", "a", steps);
      expect(threadHistoryMessages([tools], { maxRuns: 1, maxChars: 12 })).toHaveLength(4);
      expect(shapes(threadHistoryMessages([tools], { maxRuns: 1, maxChars: 11 }))).toEqual([{ human: "q" }, { ai: "a" }]);
    });

    it("drops every run older than the first that does not fit, even smaller ones", () => {
      const history = threadHistoryMessages([run("q", "a"), run("a long question", "a long answer"), run("q3", "a3")], { maxRuns: 20, maxChars: 10 });
      expect(inputs(history)).toEqual(["q3"]);
    });

    it("never cuts a run in the middle of its tool turns", () => {
      const steps = [modelCall(1, "", "c1"), toolCall(1, "c1", "calculator", "{}", "x".repeat(100)), modelCall(2, "a")];
      const history = threadHistoryMessages([run("old", "answer"), run("q", "a", steps)], { maxRuns: 20, maxChars: 50 });
      expect(history.some((message) => message instanceof ToolMessage)).toBe(false);
    });
  });

  describe("a newest run larger than the window", () => {
    const steps = [modelCall(1, "", "c1"), toolCall(1, "c1", "inventory_lookup", "{}", "x".repeat(1_000)), modelCall(2, "the answer")];

    it("keeps its input and answer without the tool turns, and no older run", () => {
      const history = threadHistoryMessages([run("older", "older answer"), run("the question", "the answer", steps)], { maxRuns: 20, maxChars: 100 });
      expect(shapes(history)).toEqual([{ human: "the question" }, { ai: "the answer" }]);
    });

    it("cuts the input and answer to share the window, each marked", () => {
      const big = run("q".repeat(500), "a".repeat(500));
      const history = threadHistoryMessages([big], { maxRuns: 20, maxChars: 100 });
      expect(shapes(history)).toEqual([{ human: `${"q".repeat(46)}${truncationMark}` }, { ai: `${"a".repeat(46)}${truncationMark}` }]);
    });

    it("gives the answer what a short input leaves", () => {
      const history = threadHistoryMessages([run("q?", "a".repeat(500))], { maxRuns: 20, maxChars: 100 });
      expect(shapes(history)).toEqual([{ human: "q?" }, { ai: `${"a".repeat(94)}${truncationMark}` }]);
    });

    it("never cuts a surrogate pair in half", () => {
      const history = threadHistoryMessages([run("😀".repeat(50), "ok")], { maxRuns: 20, maxChars: 11 });
      // 9 characters for the input: the mark, and two whole emoji rather than two and a half.
      expect(shapes(history)).toEqual([{ human: `😀😀${truncationMark}` }, { ai: "ok" }]);
    });

    it("keeps nothing when the window cannot hold even a cut exchange", () => {
      expect(threadHistoryMessages([run("q".repeat(50), "a".repeat(50))], { maxRuns: 20, maxChars: 8 })).toEqual([]);
    });
  });
});

describe("loadThreadHistory", () => {
  it("reads the thread's newest completed runs and gives their messages oldest first", async () => {
    const filters: unknown[] = [];
    const store: Pick<RunStore, "listThreadRuns"> = {
      listThreadRuns(filter) {
        filters.push(filter);
        return Promise.resolve([run("newest", "3"), run("middle", "2"), run("oldest", "1")]);
      },
    };
    const history = await loadThreadHistory(store, { principal: "alice", threadId: "t-1" }, { maxRuns: 3, maxChars: 1_000 });
    expect(filters).toEqual([{ principal: "alice", threadId: "t-1", completedOnly: true, order: "newest", limit: 3 }]);
    expect(shapes(history).map((shape) => Object.values(shape)[0])).toEqual(["oldest", "1", "middle", "2", "newest", "3"]);
  });

  it("does not read the store when the window keeps nothing", async () => {
    const store: Pick<RunStore, "listThreadRuns"> = { listThreadRuns: () => Promise.reject(new Error("not to be called")) };
    await expect(loadThreadHistory(store, { principal: "alice", threadId: "t-1" }, { maxRuns: 0, maxChars: 1_000 })).resolves.toEqual([]);
  });

  it("rejects when the store does", async () => {
    const down = new Error("connect ECONNREFUSED");
    const store: Pick<RunStore, "listThreadRuns"> = { listThreadRuns: () => Promise.reject(down) };
    await expect(loadThreadHistory(store, { principal: "alice", threadId: "t-1" }, wide)).rejects.toBe(down);
  });
});
