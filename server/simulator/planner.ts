import { messageText, type ChatMessage, type ChatRequest } from "./chat-request.js";
import { findCallDirectives } from "./call-directive.js";
import { asksForFirstQuestion, firstQuestionBefore } from "./conversation-recall.js";
import { answerFromToolOutcomes, firstQuestionAnswer, isErrorResult, plainAnswer, type ToolOutcome } from "./final-answer.js";
import { longAnswerFor } from "./long-answer.js";
import { structuredAnswer } from "./structured-answer.js";
import { findToolIntent, toolIntents, type ToolArguments } from "./tool-intents.js";

/** A tool call the simulated model decided to make. */
export interface PlannedToolCall {
  readonly name: string;
  readonly arguments: ToolArguments;
}

/** What the simulated model says next: text, or one or more (parallel) tool calls. */
export type PlannedTurn =
  | { readonly kind: "answer"; readonly content: string }
  | { readonly kind: "tool-calls"; readonly calls: readonly PlannedToolCall[] };

/** A directive in the user's text that makes the model call a tool forever, to test iteration limits. */
const loopDirective = "#loop";

/**
 * Decides the simulated model's next turn from the conversation, deterministically:
 * 1. `#loop` in the latest user message → call the first offered tool again, never answering;
 *    `#words <count>[x<length>]` → answer with that many words (see `long-answer.ts`);
 *    "what was my first question" → quote the conversation's first user message, or say there
 *    was none (see `conversation-recall.ts`), so a test can see earlier turns were sent.
 * 2. The conversation ends with tool results → retry a failed call once (its result starts with
 *    "Error"), else answer with one sentence per result, quoting each verbatim.
 * 3. Otherwise → call every offered tool the latest user message asks for (calculator, then
 *    current_time, then inventory_lookup; then each offered tool named by a `#call <tool> {args}`
 *    directive, see `call-directive.ts`), or answer in plain text when none applies.
 *
 * With a `json_schema` response format, every answer (whichever rule made it) is instead a JSON
 * document that validates against the schema, or, for `#invalid-json` in the latest user
 * message, one that does not parse (see `structured-answer.ts`); tool calls are unchanged.
 */
export function planTurn(request: Pick<ChatRequest, "messages" | "tools"> & Partial<Pick<ChatRequest, "responseFormat">>): PlannedTurn {
  const turn = planFreeTurn(request);
  const format = request.responseFormat;
  if (format === undefined || turn.kind !== "answer") return turn;
  const userMessage = request.messages.findLast((message) => message.role === "user");
  return { kind: "answer", content: structuredAnswer(format, userMessage === undefined ? "" : messageText(userMessage)) };
}

/** The turn without a response format: free text or tool calls. */
function planFreeTurn(request: Pick<ChatRequest, "messages" | "tools">): PlannedTurn {
  const { messages } = request;
  const offered = new Set(request.tools.map((tool) => tool.function.name));
  const userIndex = messages.findLastIndex((message) => message.role === "user");
  const userMessage = messages[userIndex];
  const question = userMessage === undefined ? "" : messageText(userMessage);

  const firstOffered = request.tools[0]?.function.name;
  if (firstOffered !== undefined && question.includes(loopDirective)) {
    return toolCalls([{ name: firstOffered, arguments: argumentsFor(firstOffered, undefined, undefined) }]);
  }
  const long = longAnswerFor(question);
  if (long !== undefined) {
    return { kind: "answer", content: long };
  }
  if (asksForFirstQuestion(question)) {
    return { kind: "answer", content: firstQuestionAnswer(firstQuestionBefore(messages, userIndex)) };
  }
  if (messages.at(-1)?.role === "tool") {
    return planAfterToolResults(messages.slice(userIndex + 1), question, offered);
  }
  const calls: PlannedToolCall[] = [];
  for (const intent of toolIntents) {
    if (!offered.has(intent.name)) continue;
    const args = intent.detect(question);
    if (args !== undefined) calls.push({ name: intent.name, arguments: args });
  }
  for (const directive of findCallDirectives(question)) {
    if (offered.has(directive.name)) calls.push(directive);
  }
  return calls.length > 0 ? toolCalls(calls) : { kind: "answer", content: plainAnswer(question) };
}

interface CallRecord {
  readonly name: string;
  readonly rawArguments: string;
}

/**
 * `turn` is every message after the latest user message: the assistant's tool calls and the
 * results sent back, possibly over several rounds when a call was retried.
 */
function planAfterToolResults(turn: readonly ChatMessage[], question: string, offered: ReadonlySet<string>): PlannedTurn {
  const callsById = new Map<string, CallRecord>();
  const callsPerTool = new Map<string, number>();
  for (const message of turn) {
    for (const call of message.role === "assistant" ? (message.tool_calls ?? []) : []) {
      callsById.set(call.id, { name: call.function.name, rawArguments: call.function.arguments });
      callsPerTool.set(call.function.name, (callsPerTool.get(call.function.name) ?? 0) + 1);
    }
  }

  // Keyed by tool name: a retry's result replaces the failed one but keeps its place in the answer.
  const outcomes = new Map<string, ToolOutcome>();
  const retries: PlannedToolCall[] = [];
  const trailingStart = turn.length - trailingToolCount(turn);
  turn.forEach((message, index) => {
    if (message.role !== "tool") return;
    const call = message.tool_call_id === undefined ? undefined : callsById.get(message.tool_call_id);
    const name = call?.name ?? "tool";
    const result = messageText(message);
    const previous = call === undefined ? undefined : parseArguments(call.rawArguments);
    outcomes.set(name, { name, arguments: previous, result });
    // Only the latest round can be retried, and only once: a tool called twice in this turn has had its retry.
    const retryable = index >= trailingStart && offered.has(name) && (callsPerTool.get(name) ?? 0) < 2;
    if (retryable && isErrorResult(result) && !retries.some((retry) => retry.name === name)) {
      retries.push({ name, arguments: argumentsFor(name, question, previous) });
    }
  });
  if (retries.length > 0) return toolCalls(retries);
  return { kind: "answer", content: answerFromToolOutcomes([...outcomes.values()]) };
}

/**
 * Valid arguments for a call: what the question asks for, else the earlier call's arguments when
 * they still parse, else the tool's defaults (an empty object for tools the simulator doesn't know).
 */
function argumentsFor(name: string, question: string | undefined, previous: ToolArguments | undefined): ToolArguments {
  const intent = findToolIntent(name);
  const fromQuestion = question === undefined ? undefined : intent?.detect(question);
  return fromQuestion ?? previous ?? intent?.defaultArguments ?? {};
}

function trailingToolCount(messages: readonly ChatMessage[]): number {
  let count = 0;
  while (messages[messages.length - 1 - count]?.role === "tool") count += 1;
  return count;
}

/** Arguments as the model sent them, or `undefined` when they are not a JSON object (e.g. truncated). */
function parseArguments(raw: string): ToolArguments | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as ToolArguments;
    }
  } catch {
    // Truncated on purpose by the invalid-tool-arguments fault, or simply bad: treated as absent.
  }
  return undefined;
}

function toolCalls(calls: readonly PlannedToolCall[]): PlannedTurn {
  return { kind: "tool-calls", calls };
}
