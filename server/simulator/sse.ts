import type { SimulatedCompletion } from "./completion.js";

/**
 * A completion as server-sent event frames (`data: …\n\n`), in three parts so that faults can
 * cut or corrupt the stream between them.
 */
export interface SseFrames {
  /** The first chunk, carrying `role: "assistant"`. */
  readonly opening: readonly string[];
  /** Content deltas word by word, or tool call deltas with the arguments in pieces. */
  readonly body: readonly string[];
  /** The chunk with `finish_reason`, the usage chunk when asked for, and `[DONE]`. */
  readonly closing: readonly string[];
}

/** Headers of a streaming response. */
export const sseHeaders = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
} as const;

/** Characters of tool arguments per delta: small enough that every call spans several chunks. */
const argumentPieceLength = 8;

/** Builds the frames of a `chat.completion.chunk` stream, shaped like OpenAI's. */
export function buildSseFrames(completion: SimulatedCompletion, includeUsage: boolean): SseFrames {
  const chunk = chunkWriter(completion);
  const body: string[] = [];
  let opening: string;
  if (completion.toolCalls.length === 0) {
    opening = chunk({ role: "assistant", content: "" }, null);
    for (const word of splitWords(completion.content ?? "")) body.push(chunk({ content: word }, null));
  } else {
    opening = chunk({ role: "assistant", content: null }, null);
    completion.toolCalls.forEach((call, index) => {
      body.push(
        chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }, null),
      );
      for (let at = 0; at < call.arguments.length; at += argumentPieceLength) {
        const piece = call.arguments.slice(at, at + argumentPieceLength);
        body.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null));
      }
    });
  }
  const closing = [chunk({}, completion.finishReason)];
  if (includeUsage) closing.push(usageFrame(completion));
  closing.push("data: [DONE]\n\n");
  return { opening: [opening], body, closing };
}

/** A `data:` line that starts a chunk but is not valid JSON (the `malformed-json` fault). */
export function malformedFrame(completion: SimulatedCompletion): string {
  return `data: {"id":${JSON.stringify(completion.id)},"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":\n\n`;
}

/**
 * Splits text into deltas of one word each, with the whitespace after it, so that the deltas
 * concatenate back to exactly the text.
 */
export function splitWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

// Every chunk of a stream shares its envelope; only the delta and finish reason change, so the
// envelope is serialised once per response instead of once per chunk.
function chunkWriter(completion: SimulatedCompletion) {
  const prefix =
    `data: {"id":${JSON.stringify(completion.id)},"object":"chat.completion.chunk",` +
    `"created":${completion.created},"model":${JSON.stringify(completion.model)},` +
    `"system_fingerprint":null,"choices":[{"index":0,"delta":`;
  return (delta: object, finishReason: string | null): string =>
    `${prefix}${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}]}\n\n`;
}

function usageFrame(completion: SimulatedCompletion): string {
  const usageChunk = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model,
    system_fingerprint: null,
    choices: [],
    usage: completion.usage,
  };
  return `data: ${JSON.stringify(usageChunk)}\n\n`;
}
