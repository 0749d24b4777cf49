import type { AIMessageChunk, BaseMessage } from "@langchain/core/messages";
import type { ChatOpenAI } from "@langchain/openai";
import type { TurnCallOptions } from "./chat-model.js";
import type { StreamingChatModel } from "./model-gateway.js";
import { responseFormatOf } from "./turn-settings.js";

/**
 * Streams a ChatOpenAI's answers through its `_streamResponseChunks`, the
 * method every LangChain chat model implements to stream and the one
 * `BaseChatModel` itself calls, without the Runnable layer around it.
 *
 * `chat.stream(...)` wraps that generator in machinery the service does not
 * use, at a cost per call and per chunk: a web `ReadableStream`, an
 * AsyncLocalStorage scope and a callback-manager configuration (which reads
 * `process.env`) for every chunk, an abort listener added and removed per
 * chunk, callback managers and a serialised copy of the model and messages
 * per call for tracing, and a `concat` of every chunk into the whole answer
 * so far, for a callback that nobody registered. Our spans, logs, metrics and
 * token accounting come from the gateway, so the callbacks are dropped here on
 * purpose: LangChain callbacks and LangSmith tracing set on the model do not
 * run. Request building, message conversion, the OpenAI SDK call (and its
 * abort on `signal`) and the chunk conversion are LangChain's, unchanged.
 *
 * Per-turn settings (see `turn-settings.ts`) become call options: the output
 * format LangChain's `response_format`, temperature and output tokens the
 * `turnSampling` that `createChatModel`'s request builder reads.
 *
 * What `_streamIterator` adds to each chunk is done here, where it matters:
 * the generation info (finish reason, model name) goes into the last chunk's
 * `response_metadata`, and an abort ends the stream with the signal's reason
 * (ChatOpenAI stops quietly when it sees an aborted signal).
 */
export function streamingChatModelOf(chat: ChatOpenAI): StreamingChatModel {
  return {
    async stream(messages, options) {
      return chunksOf(chat, messages, options);
    },
  };
}

async function* chunksOf(
  chat: ChatOpenAI,
  messages: BaseMessage[],
  options: Parameters<StreamingChatModel["stream"]>[1],
): AsyncGenerator<AIMessageChunk, void, undefined> {
  const { signal, settings } = options;
  // The same call options `chat.stream(messages, { signal, tools, response_format })` would pass
  // down, and the turn's sampling settings, which `createChatModel`'s request builder applies.
  const callOptions: ChatOpenAI["ParsedCallOptions"] & Pick<TurnCallOptions, "turnSampling"> = {
    signal,
    tools: options.tools as ChatOpenAI["ParsedCallOptions"]["tools"],
    ...(settings?.outputFormat === undefined ? {} : { response_format: responseFormatOf(settings.outputFormat) }),
    ...(settings === undefined ? {} : { turnSampling: { temperature: settings.temperature, maxOutputTokens: settings.maxOutputTokens } }),
  };
  for await (const generation of chat._streamResponseChunks(messages, callOptions)) {
    const message = generation.message as AIMessageChunk;
    const info = generation.generationInfo;
    // Only the last chunks carry more than token indices: merged like LangChain does, then.
    if (info?.["finish_reason"] !== undefined) {
      message.response_metadata = { ...info, ...message.response_metadata };
    }
    yield message;
  }
  signal.throwIfAborted();
}
