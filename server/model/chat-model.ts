import { ChatOpenAI, ChatOpenAICompletions, type ChatOpenAICompletionsCallOptions, type ChatOpenAIFields } from "@langchain/openai";
import type { MessageContent } from "@langchain/core/messages";
import type { TextMapPropagator, Tracer } from "@opentelemetry/api";
import type OpenAI from "openai";
import { secretReader, type SecretSource } from "../secret-source.js";
import { createChatCompletionsStream, type ChatCompletionsStream } from "./chat-completions-stream.js";
import type { TurnSettings } from "./turn-settings.js";

/** How to reach one model over the OpenAI Chat Completions protocol. */
export interface ChatModelOptions {
  /** Model name sent to the provider. */
  model: string;
  /** Base URL of the OpenAI-compatible API, including `/v1`. */
  baseUrl: string;
  /**
   * API key; the simulator accepts any unless it was started with one. A
   * function is read at each call, so a key reread on SIGHUP applies to the
   * calls started after it.
   */
  apiKey: SecretSource;
  /** Sampling temperature. Default 0, so the same request gives the same answer. A call may override it (see {@link TurnCallOptions}). */
  temperature?: number;
  /** Each model HTTP call becomes a client span of this tracer. Default: no spans. */
  tracer?: Tracer;
  /** Carries the trace on to the provider in `traceparent`. Default: no header. */
  propagator?: TextMapPropagator;
  /** The `fetch` the OpenAI SDK uses for calls that do not stream. Default the global `fetch`. */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
}

/**
 * ChatOpenAI downloads tiktoken encodings from a CDN whenever it must count
 * tokens itself. We take usage from the provider (`stream_options.include_usage`),
 * and a service must never reach the internet on its own, so the fallback
 * counter is a local estimate (about four characters a token).
 */
function estimateTokens(content: MessageContent): number {
  const text = typeof content === "string" ? content : JSON.stringify(content);
  return Math.ceil(text.length / 4);
}

class OfflineChatOpenAI extends ChatOpenAI {
  override async getNumTokens(content: MessageContent): Promise<number> {
    return estimateTokens(content);
  }
}

/**
 * LangChain's call options with the run's sampling settings for one call.
 * ChatOpenAI takes temperature and output tokens only from its constructor;
 * these reach the request where it is built, so one model object serves every
 * prompt version, whatever settings it asks for.
 */
export interface TurnCallOptions extends ChatOpenAICompletionsCallOptions {
  /** Overrides of the model's temperature and output-token limit; unset ones are the model's. Default none. */
  readonly turnSampling?: Pick<TurnSettings, "temperature" | "maxOutputTokens"> | undefined;
}

/**
 * The Chat Completions half of ChatOpenAI, with streamed calls sent by
 * {@link createChatCompletionsStream} instead of the OpenAI SDK's fetch-based
 * client. Everything around the call is LangChain's: the request it builds
 * from the messages, tools and call options, and the conversion of each chunk
 * into an `AIMessageChunk` with tool-call chunks and usage. Calls that do not
 * stream still go through the SDK.
 */
class StreamingChatCompletions extends ChatOpenAICompletions<TurnCallOptions> {
  readonly #stream: ChatCompletionsStream;

  constructor(fields: ChatOpenAIFields, stream: ChatCompletionsStream) {
    super(fields);
    this.#stream = stream;
  }

  /** LangChain's request parameters, with the call's {@link TurnCallOptions.turnSampling} applied. */
  override invocationParams(options?: this["ParsedCallOptions"], extra?: { streaming?: boolean }): ReturnType<ChatOpenAICompletions["invocationParams"]> {
    const params = super.invocationParams(options, extra);
    const sampling = options?.turnSampling;
    if (sampling?.temperature !== undefined) {
      params.temperature = sampling.temperature;
    }
    if (sampling?.maxOutputTokens !== undefined) {
      // LangChain sends reasoning models `max_completion_tokens` and others `max_tokens`; the limit goes where it put it.
      if ("max_completion_tokens" in params) {
        params.max_completion_tokens = sampling.maxOutputTokens;
      } else {
        params.max_tokens = sampling.maxOutputTokens;
      }
    }
    return params;
  }

  override async getNumTokens(content: MessageContent): Promise<number> {
    return estimateTokens(content);
  }

  override completionWithRetry(
    request: OpenAI.Chat.ChatCompletionCreateParamsStreaming,
    requestOptions?: OpenAI.RequestOptions,
  ): Promise<AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>>;
  override completionWithRetry(
    request: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
    requestOptions?: OpenAI.RequestOptions,
  ): Promise<OpenAI.Chat.Completions.ChatCompletion>;
  override async completionWithRetry(
    request: OpenAI.Chat.ChatCompletionCreateParams,
    requestOptions?: OpenAI.RequestOptions,
  ): Promise<AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk> | OpenAI.Chat.Completions.ChatCompletion> {
    if (request.stream === true) {
      return this.#stream(request, requestOptions?.signal ?? undefined);
    }
    return super.completionWithRetry(request as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, requestOptions);
  }
}

/**
 * Creates the LangChain chat model for one configured model. Its own retries
 * are off: the model gateway's policy is the only one that decides. Streamed
 * answers, the only kind the service asks for, go over a keep-alive
 * `node:http` agent with a synchronous SSE parser (see
 * {@link createChatCompletionsStream}).
 */
export function createChatModel(options: ChatModelOptions): ChatOpenAI {
  const apiKey = secretReader(options.apiKey);
  const fields: ChatOpenAIFields = {
    model: options.model,
    // The OpenAI SDK calls a key function before each request (its `ApiKeySetter`), for the calls that do not stream.
    apiKey: typeof options.apiKey === "string" ? options.apiKey : async () => apiKey(),
    configuration: {
      baseURL: options.baseUrl,
      // The global fetch looked up per call, so that a stub installed later is the one used.
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    },
    temperature: options.temperature ?? 0,
    streaming: true,
    streamUsage: true,
    maxRetries: 0,
  };
  const stream = createChatCompletionsStream({
    baseUrl: options.baseUrl,
    apiKey,
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    ...(options.propagator === undefined ? {} : { propagator: options.propagator }),
  });
  return new OfflineChatOpenAI({ ...fields, completions: new StreamingChatCompletions(fields, stream) });
}
