import type { ChatRequest } from "./chat-request.js";
import type { PlannedTurn } from "./planner.js";
import { estimateCompletionTokens, estimatePromptTokens, tokenUsage, type TokenUsage } from "./usage.js";

/** A tool call as it goes over the wire, with its arguments already serialised. */
export interface WireToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** Everything a response says, independent of whether it is sent as JSON or as SSE chunks. */
export interface SimulatedCompletion {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  /** The answer text; `null` when the turn calls tools, as with OpenAI. */
  readonly content: string | null;
  readonly toolCalls: readonly WireToolCall[];
  readonly finishReason: "stop" | "tool_calls";
  readonly usage: TokenUsage;
}

/** The `created` timestamp of every response (2025-01-01T00:00:00Z): fixed, so bodies are reproducible. */
export const simulatedCreated = 1_735_689_600;

/** What {@link buildCompletion} needs. */
export interface CompletionInput {
  readonly request: Pick<ChatRequest, "model" | "messages" | "tools">;
  readonly turn: PlannedTurn;
  /** The request's fingerprint, from which the ids derive. */
  readonly fingerprint: string;
  /** Send tool arguments that are not valid JSON (the `invalid-tool-arguments` fault). */
  readonly corruptToolArguments: boolean;
}

/** Turns a planned turn into a response with ids and usage. */
export function buildCompletion({ request, turn, fingerprint, corruptToolArguments }: CompletionInput): SimulatedCompletion {
  const promptTokens = estimatePromptTokens(request);
  const base = { id: `chatcmpl-${fingerprint.slice(0, 29)}`, created: simulatedCreated, model: request.model };
  if (turn.kind === "answer") {
    return {
      ...base,
      content: turn.content,
      toolCalls: [],
      finishReason: "stop",
      usage: tokenUsage(promptTokens, estimateCompletionTokens(turn.content)),
    };
  }
  let produced = "";
  const toolCalls = turn.calls.map((call, index): WireToolCall => {
    const json = JSON.stringify(call.arguments);
    // Dropping the closing brace leaves a truncated object, like a model cut off mid-call.
    const args = corruptToolArguments ? json.slice(0, -1) : json;
    produced += call.name + args;
    return { id: `call_${fingerprint.slice(29, 51)}${String(index).padStart(2, "0")}`, name: call.name, arguments: args };
  });
  return {
    ...base,
    content: null,
    toolCalls,
    finishReason: "tool_calls",
    usage: tokenUsage(promptTokens, estimateCompletionTokens(produced)),
  };
}

/** The non-streaming `chat.completion` body. */
export function chatCompletionBody(completion: SimulatedCompletion): string {
  const message =
    completion.toolCalls.length === 0
      ? { role: "assistant", content: completion.content, refusal: null }
      : {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: completion.toolCalls.map((call) => ({
            id: call.id,
            type: "function",
            function: { name: call.name, arguments: call.arguments },
          })),
        };
  return JSON.stringify({
    id: completion.id,
    object: "chat.completion",
    created: completion.created,
    model: completion.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: completion.finishReason }],
    usage: completion.usage,
    system_fingerprint: null,
  });
}
