import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { APIConnectionError, APIError, RateLimitError } from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import { createChatCompletionsStream, type ChatCompletionsStreamOptions } from "./chat-completions-stream.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A provider on a loopback port; counts the TCP connections it accepted. */
async function provider(handler: Handler): Promise<{ baseUrl: string; connections: () => number; closed: Promise<void> }> {
  let connections = 0;
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (part: string) => (body += part));
    req.on("end", () => handler(req, res, body));
    res.on("close", () => {
      if (!res.writableFinished) {
        onClosed();
      }
    });
  });
  server.on("connection", () => (connections += 1));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/v1/`, connections: () => connections, closed };
}

const request: ChatCompletionCreateParamsStreaming = { model: "m", messages: [{ role: "user", content: "hi" }], stream: true };

function chunk(content: string, extra: Partial<ChatCompletionChunk> = {}): ChatCompletionChunk {
  return { id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra };
}

async function collect(options: Omit<ChatCompletionsStreamOptions, "apiKey">, signal?: AbortSignal): Promise<ChatCompletionChunk[]> {
  const stream = createChatCompletionsStream({ apiKey: "sk-test", ...options });
  const chunks: ChatCompletionChunk[] = [];
  for await (const item of await stream(request, signal)) {
    chunks.push(item);
  }
  return chunks;
}

describe("createChatCompletionsStream", () => {
  it("posts the request to /chat/completions and yields every event, however the reads are cut", async () => {
    let seen: { url?: string; authorization?: string; body?: unknown } = {};
    // Three events in one read, one event across two reads, a multi-byte character split between reads, CRLF framing.
    const wire = Buffer.from(
      `data: ${JSON.stringify(chunk("a"))}\n\ndata: ${JSON.stringify(chunk("b"))}\n\n: keep-alive comment\n\ndata: ${JSON.stringify(chunk("c"))}\r\n\r\n` +
        `data: ${JSON.stringify(chunk("żółw"))}\n\ndata: [DONE]\n\n`,
    );
    const cuts = [wire.indexOf("żółw") + 1, wire.length - 20];
    const { baseUrl } = await provider((req, res, body) => {
      seen = { url: req.url, authorization: req.headers.authorization, body: JSON.parse(body) };
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(wire.subarray(0, cuts[0]));
      setTimeout(() => {
        res.write(wire.subarray(cuts[0], cuts[1]));
        setTimeout(() => res.end(wire.subarray(cuts[1])), 5);
      }, 5);
    });
    const chunks = await collect({ baseUrl });
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(["a", "b", "c", "żółw"]);
    expect(seen).toEqual({ url: "/v1/chat/completions", authorization: "Bearer sk-test", body: request });
  });

  it("reuses its keep-alive connection from one answer to the next", async () => {
    const { baseUrl, connections } = await provider((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${JSON.stringify(chunk("x"))}\n\ndata: [DONE]\n\n`);
    });
    const stream = createChatCompletionsStream({ baseUrl, apiKey: "k" });
    for (let call = 0; call < 3; call += 1) {
      for await (const item of await stream(request, undefined)) {
        void item;
      }
    }
    expect(connections()).toBe(1);
  });

  it("sends the key a key function gives at each call, the call under way keeping its own (a key reread on SIGHUP)", async () => {
    const authorizations: (string | undefined)[] = [];
    const { baseUrl } = await provider((req, res) => {
      authorizations.push(req.headers.authorization);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${JSON.stringify(chunk("x"))}\n\ndata: [DONE]\n\n`);
    });
    let apiKey = "sk-before";
    const stream = createChatCompletionsStream({ baseUrl, apiKey: () => apiKey });
    const underWay = await stream(request, undefined);
    apiKey = "sk-after";
    for await (const item of underWay) {
      void item;
    }
    for await (const item of await stream(request, undefined)) {
      void item;
    }
    expect(authorizations).toEqual(["Bearer sk-before", "Bearer sk-after"]);
  });

  it("turns a non-2xx answer into the SDK's error for its status, with the headers that carry retry-after", async () => {
    const { baseUrl } = await provider((_req, res) => {
      res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "250" });
      res.end(JSON.stringify({ error: { message: "slow down", type: "rate_limit", code: "rate_limit_exceeded" } }));
    });
    const err = await collect({ baseUrl }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    expect((err as APIError).headers?.get("retry-after-ms")).toBe("250");
  });

  it("throws an error object sent inside the stream as an APIError", async () => {
    const { baseUrl } = await provider((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${JSON.stringify(chunk("a"))}\n\ndata: {"error":{"message":"overloaded","code":"overloaded"}}\n\n`);
    });
    const err = await collect({ baseUrl }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({ code: "overloaded" });
  });

  it("fails with a SyntaxError on a data line that is not JSON and on an event too long to buffer", async () => {
    const { baseUrl } = await provider((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end("data: {not json\n\n");
    });
    await expect(collect({ baseUrl })).rejects.toBeInstanceOf(SyntaxError);
    const { baseUrl: longUrl } = await provider((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${"x".repeat(5000)}`);
    });
    await expect(collect({ baseUrl: longUrl, maxEventChars: 1000 })).rejects.toBeInstanceOf(SyntaxError);
  });

  it("wraps a refused connection in the SDK's connection error, Node's error as its cause", async () => {
    const { baseUrl } = await provider(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const err = await collect({ baseUrl }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect((err as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
  });

  it("ends with the signal's reason when aborted mid-answer, and the provider sees the connection close", async () => {
    const { baseUrl, closed } = await provider((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunk("a"))}\n\n`);
    });
    const controller = new AbortController();
    const reason = new Error("caller went away");
    const stream = createChatCompletionsStream({ baseUrl, apiKey: "k" });
    const chunks = await stream(request, controller.signal);
    const seen: string[] = [];
    const err = await (async () => {
      for await (const item of chunks) {
        seen.push(item.choices[0]?.delta.content ?? "");
        controller.abort(reason);
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["a"]);
    expect(err).toBe(reason);
    await closed;
  });

  it("closes the connection when the reader stops early", async () => {
    const { baseUrl, closed } = await provider((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunk("a"))}\n\ndata: ${JSON.stringify(chunk("b"))}\n\n`);
    });
    const stream = createChatCompletionsStream({ baseUrl, apiKey: "k" });
    for await (const item of await stream(request, undefined)) {
      void item;
      break;
    }
    await closed;
  });

  it("makes each call a client span that carries the trace on in traceparent and ends with the body", async () => {
    let traceparent: string | undefined;
    const { baseUrl } = await provider((req, res) => {
      traceparent = req.headers.traceparent as string | undefined;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${JSON.stringify(chunk("a"))}\n\ndata: [DONE]\n\n`);
    });
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    await collect({ baseUrl, tracer: tracerProvider.getTracer("test"), propagator: new W3CTraceContextPropagator() });
    await tracerProvider.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toMatchObject({ "http.request.method": "POST", "http.response.status_code": 200, "server.address": "127.0.0.1" });
    expect(traceparent).toBe(`00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`);
  });

  it("goes through the proxy of proxyEnv, as Node's fetch does with NODE_USE_ENV_PROXY=1", async () => {
    let proxied: string | undefined;
    const proxy = await provider((req, res) => {
      proxied = `${req.method} ${req.url}`;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${JSON.stringify(chunk("via proxy"))}\n\ndata: [DONE]\n\n`);
    });
    const chunks = await collect({ baseUrl: "http://provider.invalid/v1", proxyEnv: { HTTP_PROXY: new URL(proxy.baseUrl).origin } });
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(["via proxy"]);
    expect(proxied).toBe("POST http://provider.invalid/v1/chat/completions");
  });
});
