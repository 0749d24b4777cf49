import { fromBinary } from "@bufbuild/protobuf";
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { ExecuteResponseSchema } from "../../gen/agent/v1/agent_service_pb.js";
import type { Step, ToolCall } from "../../gen/agent/v1/run_pb.js";
import type { RunRow, RunStore } from "../store/index.js";

/**
 * A thread's earlier turns as the messages a new run in it starts from: each
 * completed run's input, its tool-calling model turns with their results, and
 * its answer, in the shapes the agent executor itself sends, so the model
 * sees an earlier run as it saw it while it ran.
 */

/** How much of a thread a new run starts from (`config.threads`). */
export interface ThreadHistoryWindow {
  /** Most runs kept, newest first; 0 keeps none. */
  readonly maxRuns: number;
  /**
   * Most characters kept: inputs, model turn text, tool arguments (as the
   * model sent them) and results, and answers. 0 keeps none.
   */
  readonly maxChars: number;
}

/** Appended to a text cut short to fit the window. */
export const truncationMark = " […]";

/**
 * The messages of a thread's completed runs (`runs` oldest first, as
 * {@link RunStore.listThreadRuns} pages them), oldest first: per run a
 * `HumanMessage` of its input; for each model turn that called tools an
 * `AIMessage` with the turn's text and `tool_calls`, then one `ToolMessage`
 * per call in the order the model asked for them; and an `AIMessage` of the
 * answer. Runs that are not completed are skipped.
 *
 * The window keeps the newest runs whole while their characters fit in
 * `maxChars`, at most `maxRuns` of them; the first run that does not fit and
 * every older one are left out whole, since a tool call without its result
 * is a conversation the provider rejects. When even the newest run does not
 * fit, it is reduced to its input and answer (no tool turns), each cut to
 * share `maxChars` and marked with {@link truncationMark}, so a follow-up
 * question still has the turn it follows; a window too small for even that
 * keeps nothing.
 *
 * Faithfulness, turn by turn:
 * - Arguments that are not a JSON object become `args: {}`, as the executor
 *   sent them when the run ran; the `ToolMessage` carries the error the
 *   model was shown then, so the history replays what the model saw.
 * - A call without a recorded outcome (a run that hit its time limit while
 *   the tool ran) is left out of its turn, since its name and arguments are
 *   only recorded with the outcome; a turn left with no calls is left out.
 * - Model turns without tool calls are the answer (the run's output) or an
 *   empty reply the executor had the model retry: neither is repeated.
 * - A run without an answer (it stopped at `max_iterations`) ends with its
 *   last tool results; a run whose recorded result cannot be decoded keeps
 *   only its input and answer.
 */
export function threadHistoryMessages(runs: readonly RunRow[], window: ThreadHistoryWindow): BaseMessage[] {
  const kept: BaseMessage[][] = [];
  let chars = 0;
  if (window.maxChars <= 0) {
    return [];
  }
  for (let index = runs.length - 1; index >= 0 && kept.length < window.maxRuns; index -= 1) {
    const run = runs[index];
    if (run === undefined || run.status !== "completed") {
      continue;
    }
    const turns = runTurns(run);
    if (chars + turns.chars > window.maxChars) {
      if (kept.length === 0) {
        kept.push(clippedExchange(run, window.maxChars));
      }
      break;
    }
    kept.push(turns.messages);
    chars += turns.chars;
  }
  return kept.reverse().flat();
}

/**
 * The history a new run in the principal's thread starts from: its newest
 * `maxRuns` completed runs, windowed by {@link threadHistoryMessages},
 * oldest first. Rejects when the store does. Reads what is stored: a caller
 * that needs this replica's last run of the thread flushes the recorder first.
 */
export async function loadThreadHistory(
  store: Pick<RunStore, "listThreadRuns">,
  thread: { readonly principal: string; readonly threadId: string },
  window: ThreadHistoryWindow,
): Promise<BaseMessage[]> {
  if (window.maxRuns <= 0 || window.maxChars <= 0) {
    return [];
  }
  const newestFirst = await store.listThreadRuns({
    principal: thread.principal,
    threadId: thread.threadId,
    completedOnly: true,
    order: "newest",
    limit: window.maxRuns,
  });
  return threadHistoryMessages([...newestFirst].reverse(), window);
}

/** One run's messages and the characters they count for in the window. */
interface RunTurns {
  readonly messages: BaseMessage[];
  readonly chars: number;
}

function runTurns(run: RunRow): RunTurns {
  const messages: BaseMessage[] = [new HumanMessage(run.input)];
  let chars = run.input.length + run.output.length;
  const steps = recordedSteps(run.result);
  // Call ids are the model's and only unique within a turn, so calls are matched within their turn.
  const outcomes = new Map<string, ToolCall>();
  for (const step of steps) {
    if (step.kind.case === "toolCall") {
      outcomes.set(callKey(step.iteration, step.kind.value.callId), step.kind.value);
    }
  }
  for (const step of steps) {
    if (step.kind.case !== "modelCall") {
      continue;
    }
    const calls = step.kind.value.toolCallIds.flatMap((id) => outcomes.get(callKey(step.iteration, id)) ?? []);
    if (calls.length === 0) {
      continue;
    }
    const text = step.kind.value.text;
    messages.push(
      new AIMessage({
        content: text,
        tool_calls: calls.map((call) => ({ id: call.callId, name: call.name, args: objectArguments(call.arguments), type: "tool_call" as const })),
      }),
    );
    chars += text.length;
    for (const call of calls) {
      messages.push(new ToolMessage({ content: call.result, tool_call_id: call.callId, name: call.name }));
      chars += call.arguments.length + call.result.length;
    }
  }
  if (run.output !== "") {
    messages.push(new AIMessage(run.output));
  }
  return { messages, chars };
}

function callKey(iteration: number, callId: string): string {
  return `${iteration}\u0000${callId}`;
}

/** The steps of a completed run's `ExecuteResponse`; none when it is missing or cannot be decoded. */
function recordedSteps(result: Uint8Array | undefined): Step[] {
  if (result === undefined) {
    return [];
  }
  try {
    return fromBinary(ExecuteResponseSchema, result).steps;
  } catch {
    // A record this version cannot read still has its input and answer.
    return [];
  }
}

/** The arguments as the executor passed them to the model: a JSON object, else `{}`. */
function objectArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The run's input and answer cut to share `maxChars`: each gets half, and
 * what one does not need goes to the other. Nothing when a part would have
 * to be cut shorter than the mark.
 */
function clippedExchange(run: RunRow, maxChars: number): BaseMessage[] {
  const inputShare = Math.min(run.input.length, Math.max(Math.floor(maxChars / 2), maxChars - run.output.length));
  const input = clip(run.input, inputShare);
  const output = clip(run.output, maxChars - inputShare);
  if (input === undefined || output === undefined) {
    return [];
  }
  return output === "" ? [new HumanMessage(input)] : [new HumanMessage(input), new AIMessage(output)];
}

/** `text` in at most `maxChars`, its start kept and {@link truncationMark} appended when cut; undefined when that cannot fit. */
function clip(text: string, maxChars: number): string | undefined {
  if (text.length <= maxChars) {
    return text;
  }
  let end = maxChars - truncationMark.length;
  // Never cut between the two halves of a surrogate pair.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) {
    end -= 1;
  }
  if (end < 1) {
    return undefined;
  }
  return `${text.slice(0, end)}${truncationMark}`;
}
