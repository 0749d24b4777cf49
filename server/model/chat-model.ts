import { ChatOpenAI } from "@langchain/openai";
import type { MessageContent } from "@langchain/core/messages";
import { createSseEventChunkingFetch } from "./sse-event-chunks.js";

/** How to reach one model over the OpenAI Chat Completions protocol. */
export interface ChatModelOptions {
  /** Model name sent to the provider. */
  model: string;
  /** Base URL of the OpenAI-compatible API, including `/v1`. */
  baseUrl: string;
  /** API key; the simulator accepts any. */
  apiKey: string;
  /** Sampling temperature. Default 0, so the same request gives the same answer. */
  temperature?: number;
  /** The `fetch` HTTP calls go through, such as a traced one. Default the global `fetch`. */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
}

/**
 * A ChatOpenAI that counts tokens offline.
 *
 * ChatOpenAI downloads tiktoken encodings from a CDN whenever it must count
 * tokens itself. We take usage from the provider (`stream_options.include_usage`),
 * and a service must never reach the internet on its own, so the fallback
 * counter is a local estimate (about four characters a token).
 */
class OfflineChatOpenAI extends ChatOpenAI {
  override async getNumTokens(content: MessageContent): Promise<number> {
    const text = typeof content === "string" ? content : JSON.stringify(content);
    return Math.ceil(text.length / 4);
  }
}

/**
 * Creates the LangChain chat model for one configured model. Its own retries
 * are off: the model gateway's policy is the only one that decides. Streamed
 * answers reach the OpenAI SDK one event per read, which keeps its SSE parsing
 * linear (see {@link createSseEventChunkingFetch}).
 */
export function createChatModel(options: ChatModelOptions): ChatOpenAI {
  return new OfflineChatOpenAI({
    model: options.model,
    apiKey: options.apiKey,
    configuration: {
      baseURL: options.baseUrl,
      // The global fetch looked up per call, so that a stub installed later is the one used.
      fetch: createSseEventChunkingFetch(options.fetch ?? ((input, init) => fetch(input, init))),
    },
    temperature: options.temperature ?? 0,
    streaming: true,
    streamUsage: true,
    maxRetries: 0,
  });
}
