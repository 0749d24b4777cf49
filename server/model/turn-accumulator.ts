import type { AIMessageChunk, MessageContent } from "@langchain/core/messages";
import type { CachedTurn } from "./cached-turn.js";

/** Folds the chunks of a streamed model answer into one turn. */
export interface TurnAccumulator {
  /** Adds a chunk; returns its text, possibly empty. */
  add(chunk: AIMessageChunk): string;
  /** Chunks added so far. */
  readonly chunks: number;
  /** The turn so far, with `attempt`; `fallbackModel` when the provider named none. */
  turn(fallbackModel: string, attempt: number): CachedTurn;
}

interface ToolCallParts {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Creates an empty accumulator. It keeps what `AIMessageChunk.concat` would
 * give for the fields a turn needs (text and tool-call arguments appended,
 * tool calls merged by index, usage summed), at a constant cost per chunk:
 * `merged.concat(chunk)` copies the whole message so far on every chunk, which
 * makes a long answer quadratic.
 */
export function createTurnAccumulator(): TurnAccumulator {
  let chunks = 0;
  let text = "";
  const toolCalls: ToolCallParts[] = [];
  const byIndex = new Map<number, ToolCallParts>();
  const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  let responseModel: string | undefined;
  let finishReason = "";
  return {
    add(chunk) {
      chunks += 1;
      const delta = textOf(chunk.content);
      text += delta;
      for (const part of chunk.tool_call_chunks ?? []) {
        const known = typeof part.index === "number" ? byIndex.get(part.index) : undefined;
        if (known === undefined) {
          const created = { id: part.id ?? "", name: part.name ?? "", arguments: part.args ?? "" };
          toolCalls.push(created);
          if (typeof part.index === "number") {
            byIndex.set(part.index, created);
          }
          continue;
        }
        // Like LangChain's merge: ids and names are sent once (the last non-empty wins), arguments in pieces.
        known.id = part.id || known.id;
        known.name = part.name || known.name;
        known.arguments += part.args ?? "";
      }
      const chunkUsage = chunk.usage_metadata;
      if (chunkUsage !== undefined) {
        usage.inputTokens += chunkUsage.input_tokens;
        usage.outputTokens += chunkUsage.output_tokens;
        usage.totalTokens += chunkUsage.total_tokens;
      }
      // The model name and finish reason come with the last chunks.
      const model: unknown = chunk.response_metadata["model_name"];
      if (typeof model === "string" && model !== "") {
        responseModel = model;
      }
      const reason: unknown = chunk.response_metadata["finish_reason"];
      if (typeof reason === "string" && reason !== "") {
        finishReason = reason;
      }
      return delta;
    },
    get chunks() {
      return chunks;
    },
    turn(fallbackModel, attempt) {
      return {
        responseModel: responseModel ?? fallbackModel,
        text,
        // The raw argument text is kept, not LangChain's parsed form, so that invalid
        // JSON reaches the tool runner and is reported back to the model instead of dropped.
        toolCalls: toolCalls.map((call, index) => ({ id: call.id || `call_${index}`, name: call.name, arguments: call.arguments })),
        usage: { ...usage },
        finishReason,
        attempt,
      };
    },
  };
}

function textOf(content: MessageContent): string {
  if (typeof content === "string") {
    return content;
  }
  return content.map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : "")).join("");
}
