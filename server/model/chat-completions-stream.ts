import { request as httpRequest, Agent as HttpAgent, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";
import { context, SpanKind, SpanStatusCode, trace, type Span, type TextMapPropagator, type Tracer } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { APIConnectionError, APIError } from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { secretReader, type SecretSource } from "../secret-source.js";

/** Where and how streamed chat completions are requested. */
export interface ChatCompletionsStreamOptions {
  /** Base URL of the OpenAI-compatible API, including `/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; a function is read at each call, so a key reread on SIGHUP applies to the next one. */
  apiKey: SecretSource;
  /** Each call becomes a client span of this tracer, carried on in `traceparent`. Default: no span. */
  tracer?: Tracer;
  /** Writes the trace context into the request headers. Required for `traceparent` with `tracer`. */
  propagator?: TextMapPropagator;
  /** Longest SSE event, in characters, before the answer counts as malformed. Default 8 MiB. */
  maxEventChars?: number;
  /** Longest error body read from a failed call, in bytes. Default 64 KiB. */
  maxErrorBodyBytes?: number;
  /**
   * `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` to route calls by (Node's
   * `http.Agent` `proxyEnv`). Default: `process.env` when `NODE_USE_ENV_PROXY=1`, else no proxy.
   */
  proxyEnv?: NodeJS.ProcessEnv;
}

/** Opens one streamed chat completion: resolves when the provider answered 2xx, then yields its chunks. */
export type ChatCompletionsStream = (
  body: ChatCompletionCreateParamsStreaming,
  signal: AbortSignal | undefined,
) => Promise<AsyncIterable<ChatCompletionChunk>>;

/**
 * Streams chat completions over `node:http(s)` with a keep-alive agent, and
 * parses the server-sent events with `eventsource-parser`, synchronously, one
 * network read at a time.
 *
 * Why not the OpenAI SDK's own `create({ stream: true })`: on this path it
 * costs more than the rest of the service. Each call builds a fetch `Request`
 * and `Response`, at least two web `ReadableStream`s, a `DOMException` per
 * abort signal it links, and each network read then crosses three nested async
 * generators (bytes, SSE lines, events) before LangChain sees a chunk; in the
 * benchmark's profiles that was about a third of the service's CPU. Here a
 * read is decoded once (`setEncoding`, which keeps multi-byte characters whole
 * across reads), split into events by one synchronous parser, and each event
 * parsed once. Everything the SDK decides stays the SDK's: a non-2xx answer is
 * the SDK's own error class for its status (`APIError.generate`, with the
 * headers that carry `retry-after`), a failed connection an
 * `APIConnectionError` whose `cause` is Node's system error, an `error` object
 * inside the stream an `APIError`, and a data line that is not JSON a
 * `SyntaxError`, so the failure classifier sees what it saw before.
 *
 * Backpressure is the socket's: the next read happens only when the consumer
 * asks for the next chunk. An abort destroys the request (the provider sees
 * the connection close) and ends the stream with the signal's reason.
 */
export function createChatCompletionsStream(options: ChatCompletionsStreamOptions): ChatCompletionsStream {
  const url = new URL(`${options.baseUrl.replace(/\/+$/, "")}/chat/completions`);
  const secure = url.protocol === "https:";
  const send = secure ? httpsRequest : httpRequest;
  // LIFO hands out the socket used last, which is the one least likely to
  // have been closed by the provider's keep-alive timeout. Proxies from the
  // environment are honoured on the same switch as Node's own fetch
  // (`NODE_USE_ENV_PROXY=1`, Node 24.5 and later; older runtimes ignore it).
  const proxyEnv = options.proxyEnv ?? (process.env["NODE_USE_ENV_PROXY"] === "1" ? process.env : undefined);
  const agentOptions = { keepAlive: true, scheduling: "lifo" as const, ...(proxyEnv === undefined ? {} : { proxyEnv }) };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const port = Number(url.port || (secure ? 443 : 80));
  const apiKey = secretReader(options.apiKey);
  const maxEventChars = options.maxEventChars ?? 8 * 1024 * 1024;
  const maxErrorBodyBytes = options.maxErrorBodyBytes ?? 64 * 1024;
  const { tracer, propagator } = options;

  return async (body, signal) => {
    signal?.throwIfAborted();
    const payload = JSON.stringify(body);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "text/event-stream",
      // Read per call: a call under way keeps the key it was sent with.
      authorization: `Bearer ${apiKey()}`,
      "content-length": String(Buffer.byteLength(payload)),
    };
    const span = tracer === undefined ? undefined : startClientSpan(tracer, url, port, headers, propagator);
    // The span above is this call's: an HTTP instrumentation of the process adds none of its own.
    const req = context.with(suppressTracing(context.active()), () => send(url, { method: "POST", agent, headers }));
    let res: IncomingMessage;
    try {
      res = await responseOf(req, payload, signal);
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
    span?.setAttribute("http.response.status_code", res.statusCode ?? 0);
    if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
      const err = await statusErrorOf(res, maxErrorBodyBytes, signal).catch((readError: unknown) => readError);
      span?.setAttribute("error.type", String(res.statusCode));
      span?.setStatus({ code: SpanStatusCode.ERROR });
      span?.end();
      throw err;
    }
    return chunksOf(req, res, signal, maxEventChars, span);
  };
}

/** Sends the request; resolves with the response head, rejects with the abort reason or a connection error. */
function responseOf(req: ClientRequest, payload: string, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      req.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    req.once("response", (res) => {
      signal?.removeEventListener("abort", onAbort);
      resolve(res);
    });
    req.once("error", (err) => {
      signal?.removeEventListener("abort", onAbort);
      reject(signal?.aborted === true ? signal.reason : new APIConnectionError({ cause: err }));
    });
    req.end(payload);
  });
}

/** The SDK's error for a non-2xx answer, from its (bounded) body, as the SDK itself builds it. */
async function statusErrorOf(res: IncomingMessage, maxBytes: number, signal: AbortSignal | undefined): Promise<APIError> {
  const parts: Buffer[] = [];
  let size = 0;
  const onAbort = () => res.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const part of res as AsyncIterable<Buffer>) {
      if (size < maxBytes) {
        parts.push(part);
        size += part.length;
      }
    }
  } catch {
    // A body cut short still leaves the status, which is what decides.
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  signal?.throwIfAborted();
  const text = Buffer.concat(parts).subarray(0, maxBytes).toString("utf8");
  const json = parseJson(text);
  return APIError.generate(res.statusCode, json, json === undefined ? text : undefined, headersOf(res));
}

/** Yields the chunks of a 2xx answer, one network read at a time. */
async function* chunksOf(
  req: ClientRequest,
  res: IncomingMessage,
  signal: AbortSignal | undefined,
  maxEventChars: number,
  span: Span | undefined,
): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  const events: EventSourceMessage[] = [];
  let parseError: SyntaxError | undefined;
  const parser = createParser({
    maxBufferSize: maxEventChars,
    onEvent: (event) => events.push(event),
    onError: (err) => {
      // Unknown fields and bad `retry` values are ignored, as the SSE spec says; only an
      // event too long to buffer ends the answer.
      if (err.type === "max-buffer-size-exceeded") {
        parseError ??= new SyntaxError(`the provider sent an SSE event over ${maxEventChars} characters`, { cause: err });
      }
    },
  });
  const onAbort = () => req.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  res.setEncoding("utf8");
  let finished = false;
  let failure: unknown;
  try {
    let done = false;
    for await (const text of res as AsyncIterable<string>) {
      parser.feed(text);
      if (parseError !== undefined) {
        throw parseError;
      }
      for (const event of events) {
        // After [DONE] the body is drained, not parsed, so the socket can be reused.
        if (done || event.data.startsWith("[DONE]")) {
          done = true;
          continue;
        }
        const data = JSON.parse(event.data) as ChatCompletionChunk & { error?: unknown };
        if (data.error !== undefined && data.error !== null) {
          throw new APIError(undefined, data.error as object, undefined, headersOf(res));
        }
        yield data;
      }
      events.length = 0;
    }
    finished = true;
  } catch (err) {
    failure = signal?.aborted === true ? signal.reason : err instanceof SyntaxError || err instanceof APIError ? err : new APIConnectionError({ cause: err as Error });
    throw failure;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!finished) {
      // Stopped early (the caller returned or failed): the provider must see the connection close.
      req.destroy();
    }
    endSpan(span, failure ?? (finished ? undefined : signal?.reason));
  }
  signal?.throwIfAborted();
}

function startClientSpan(
  tracer: Tracer,
  url: URL,
  port: number,
  headers: Record<string, string>,
  propagator: TextMapPropagator | undefined,
): Span {
  const parent = context.active();
  const span = tracer.startSpan("POST", { kind: SpanKind.CLIENT }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      "http.request.method": "POST",
      // No query string: it may carry credentials on some providers.
      "url.full": `${url.origin}${url.pathname}`,
      "server.address": url.hostname,
      "server.port": port,
    });
  }
  propagator?.inject(trace.setSpan(parent, span), headers, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
  return span;
}

function endSpan(span: Span | undefined, error: unknown): void {
  if (span === undefined) {
    return;
  }
  if (error !== undefined) {
    span.setAttribute("error.type", error instanceof Error ? error.name : "Error");
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (typeof value === "string") {
      headers.set(name, value);
    } else if (Array.isArray(value)) {
      for (const item of value) {
        headers.append(name, item);
      }
    }
  }
  return headers;
}

function parseJson(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
