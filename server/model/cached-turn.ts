import type { BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import { cacheKey } from "./cache/index.js";
import type { TurnSettings } from "./turn-settings.js";

/** Format version of cached turns; bump it when {@link cachedTurnSchema} changes. */
export const cachedTurnVersion = 2;

/** What the cache keeps of a model turn: enough to replay it exactly. */
export const cachedTurnSchema = z.strictObject({
  /** The model name the provider reported (it may name a snapshot of the requested one). */
  responseModel: z.string(),
  text: z.string(),
  toolCalls: z.array(z.strictObject({ id: z.string(), name: z.string(), arguments: z.string() })),
  usage: z.strictObject({ inputTokens: z.number(), outputTokens: z.number(), totalTokens: z.number() }),
  finishReason: z.string(),
  attempt: z.number(),
});

/** A model turn as the cache keeps it. */
export type CachedTurn = z.infer<typeof cachedTurnSchema>;

/**
 * The cache key of a model request: the model's scope (provider, name,
 * sampling settings), the canonical messages and tools, and the turn's own
 * settings as sent to the model (temperature, output tokens, output format),
 * so turns that ask for different ones never share an answer. Equal requests
 * have equal keys whatever the order of object keys; a turn without settings
 * has the key it had before settings existed.
 */
export function turnCacheKey(scope: string, messages: readonly BaseMessage[], tools: readonly unknown[], settings?: TurnSettings): string {
  return cacheKey({
    scope,
    settings,
    messages: messages.map((message) => ({
      role: message.getType(),
      content: message.content,
      toolCalls: "tool_calls" in message ? message.tool_calls : undefined,
      toolCallId: "tool_call_id" in message ? message.tool_call_id : undefined,
    })),
    tools,
  });
}

/** Only complete turns are worth replaying: not one cut off by a token limit or a filter. */
export function isStorableTurn(turn: CachedTurn): boolean {
  return turn.finishReason === "stop" || turn.finishReason === "tool_calls";
}
