import { messageText, type ChatRequest } from "./chat-request.js";

/** Token counts in OpenAI's `usage` shape. */
export interface TokenUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/** Rough characters per token for English text, the rule of thumb OpenAI documents. */
const charsPerToken = 4;

/**
 * A deterministic estimate of the prompt's tokens: a quarter of the characters in the messages'
 * text, earlier tool calls and the offered tool definitions; at least 1.
 */
export function estimatePromptTokens(request: Pick<ChatRequest, "messages" | "tools">): number {
  let chars = 0;
  for (const message of request.messages) {
    chars += messageText(message).length;
    for (const call of message.tool_calls ?? []) {
      chars += call.function.name.length + call.function.arguments.length;
    }
  }
  for (const tool of request.tools) {
    chars += tool.function.name.length + (tool.function.description?.length ?? 0);
    if (tool.function.parameters !== undefined) chars += JSON.stringify(tool.function.parameters).length;
  }
  return tokensFor(chars);
}

/** A deterministic estimate of the completion's tokens from the text it produced; at least 1. */
export function estimateCompletionTokens(producedText: string): number {
  return tokensFor(producedText.length);
}

/** Usage with the total filled in. */
export function tokenUsage(promptTokens: number, completionTokens: number): TokenUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function tokensFor(chars: number): number {
  return Math.max(1, Math.ceil(chars / charsPerToken));
}
