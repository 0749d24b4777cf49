import { BrokenCircuitError, TaskCancelledError } from "cockatiel";
import { createServer, type Server, type Socket } from "node:net";
import { APIConnectionError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSimulator, type FaultRule, type Simulator } from "../simulator/index.js";
import { AttemptTimeoutError } from "./attempt-signal.js";
import { createChatModel } from "./chat-model.js";
import { CallCanceledError, EmptyResponseError, MidStreamError } from "./model-call-errors.js";
import { classifyModelFailure, type ModelFailureClass } from "./model-failure.js";

/** Streams one answer through the real ChatOpenAI and returns what it threw. */
async function failureOf(baseUrl: string): Promise<unknown> {
  const chat = createChatModel({ model: "sim-small", baseUrl, apiKey: "sk-test" });
  try {
    const stream = await chat.stream([["user", "hello there"]], { signal: new AbortController().signal });
    for await (const chunk of stream) {
      void chunk;
    }
  } catch (err) {
    return err;
  }
  throw new Error("the call was expected to fail");
}

async function listen(onConnection: (socket: Socket) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/v1`, server };
}

async function closedPort(): Promise<number> {
  const { server } = await listen(() => undefined);
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

const fault = { retryable: true, countsAgainstModel: true, transient: true, midStream: false };
const rejected = { kind: "rejected", retryable: false, countsAgainstModel: false, transient: false, midStream: false } as const;

let simulator: Simulator;
const servers: Server[] = [];
beforeAll(async () => {
  simulator = await createSimulator();
});
afterAll(async () => {
  await simulator.close();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe("classifyModelFailure, on what the real chat model and its HTTP client throw", () => {
  // Regression: the OpenAI SDK's connection error is named plain "Error", so
  // a refused connection was classified as a rejected request, never retried.
  it("a refused connection is a retryable connection fault", async () => {
    const err = await failureOf(`http://127.0.0.1:${await closedPort()}/v1`);
    expect(classifyModelFailure(err)).toEqual({ ...fault, kind: "connection", errorType: "ECONNREFUSED", description: "connection refused" });
  });

  it("a connection reset before the response is a retryable connection fault", async () => {
    const { url, server } = await listen((socket) => socket.once("data", () => socket.resetAndDestroy()));
    servers.push(server);
    expect(classifyModelFailure(await failureOf(url))).toEqual({ ...fault, kind: "connection", errorType: "ECONNRESET", description: "connection reset" });
  });

  it("a connection closed before the response is a retryable connection fault", async () => {
    const { url, server } = await listen((socket) => socket.once("data", () => socket.end()));
    servers.push(server);
    // Node reports a socket closed before any response as a reset ("socket hang up").
    expect(classifyModelFailure(await failureOf(url))).toMatchObject({ ...fault, kind: "connection", errorType: "ECONNRESET" });
  });

  it("a reset mid-body is a connection fault, the SDK's connection error around Node's", async () => {
    const { url, server } = await listen((socket) =>
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
        const frame = `data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi "},"finish_reason":null}]}\n\n`;
        socket.write(`${Buffer.byteLength(frame).toString(16)}\r\n${frame}\r\n`, () => socket.resetAndDestroy());
      }),
    );
    servers.push(server);
    const err = await failureOf(url);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(classifyModelFailure(err)).toMatchObject({ ...fault, kind: "connection", errorType: "ECONNRESET" });
  });

  describe.each<{ rule: FaultRule; expected: Partial<ModelFailureClass> }>([
    { rule: { kind: "cut-stream" }, expected: { ...fault, kind: "connection", errorType: "ECONNRESET" } },
    { rule: { kind: "malformed-json" }, expected: { ...fault, kind: "malformed-response", errorType: "malformed_response" } },
    { rule: { kind: "status", status: 503 }, expected: { ...fault, kind: "provider-error", errorType: "503", description: "HTTP 503" } },
    { rule: { kind: "status", status: 500 }, expected: { ...fault, kind: "provider-error", errorType: "500" } },
    { rule: { kind: "status", status: 408 }, expected: { ...fault, kind: "provider-error", errorType: "408" } },
    { rule: { kind: "status", status: 429 }, expected: { ...fault, kind: "rate-limited", errorType: "429", description: "HTTP 429 rate_limit_exceeded" } },
    { rule: { kind: "status", status: 400 }, expected: { ...rejected, errorType: "400", description: "HTTP 400" } },
    { rule: { kind: "status", status: 401 }, expected: { ...rejected, errorType: "401" } },
    { rule: { kind: "status", status: 403 }, expected: { ...rejected, errorType: "403" } },
    { rule: { kind: "status", status: 404 }, expected: { ...rejected, errorType: "404" } },
    { rule: { kind: "status", status: 422 }, expected: { ...rejected, errorType: "422" } },
  ])("simulator fault $rule", ({ rule, expected }) => {
    it(`is ${expected.kind}`, async () => {
      simulator.setFaults([rule]);
      try {
        expect(classifyModelFailure(await failureOf(simulator.url))).toMatchObject(expected);
      } finally {
        simulator.clearFaults();
      }
    });
  });

  it("an unknown model is a rejected request naming the provider's code", async () => {
    const chat = createChatModel({ model: "no-such-model", baseUrl: simulator.url, apiKey: "sk-test" });
    const err = await chat.invoke("hello").catch((e: unknown) => e);
    expect(classifyModelFailure(err)).toMatchObject({ ...rejected, description: "HTTP 404 model_not_found" });
  });
});

describe("classifyModelFailure, on errors of the gateway and the policy", () => {
  const reset = new TypeError("terminated", { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });
  describe.each<{ error: unknown; expected: Partial<ModelFailureClass> }>([
    { error: new AttemptTimeoutError(300), expected: { ...fault, kind: "timeout", errorType: "timeout", description: "timed out after 300 ms" } },
    { error: new EmptyResponseError(), expected: { ...fault, kind: "malformed-response" } },
    {
      error: new MidStreamError(reset),
      expected: { kind: "connection", retryable: false, countsAgainstModel: true, midStream: true, description: "connection reset mid-stream" },
    },
    {
      error: new MidStreamError(new AttemptTimeoutError(5)),
      expected: { kind: "timeout", retryable: false, countsAgainstModel: true, description: "timed out after 5 ms mid-stream" },
    },
    { error: new BrokenCircuitError(), expected: { kind: "circuit-open", retryable: false, countsAgainstModel: false, transient: true, errorType: "circuit_open" } },
    { error: new TaskCancelledError(), expected: { kind: "gave-up", retryable: false, countsAgainstModel: false, transient: true } },
    { error: new CallCanceledError("any reason"), expected: { kind: "canceled", retryable: false, countsAgainstModel: false } },
    { error: new DOMException("This operation was aborted", "AbortError"), expected: { kind: "canceled", countsAgainstModel: false } },
    {
      error: new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:1"), { code: "ECONNREFUSED" })]),
      expected: { kind: "connection", errorType: "ECONNREFUSED" },
    },
    {
      error: Object.assign(new Error("headers timeout"), { code: "UND_ERR_HEADERS_TIMEOUT" }),
      expected: { ...fault, kind: "timeout", errorType: "UND_ERR_HEADERS_TIMEOUT" },
    },
    { error: Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" }), expected: { ...fault, kind: "connection", description: "provider host not found" } },
    // Names and messages decide nothing: these say "connection" but carry no evidence.
    { error: Object.assign(new Error("Connection error."), { name: "APIConnectionError" }), expected: { kind: "unknown", errorType: "_OTHER" } },
    { error: new Error("ECONNREFUSED"), expected: { kind: "unknown", retryable: false, countsAgainstModel: true, transient: true } },
    { error: "a string", expected: { kind: "unknown" } },
  ])("$error", ({ error, expected }) => {
    it(`is ${expected.kind}`, () => {
      expect(classifyModelFailure(error)).toMatchObject(expected);
    });
  });

  it("stops at a cause cycle", () => {
    const a: Error & { cause?: unknown } = new Error("a");
    a.cause = new Error("b", { cause: a });
    expect(classifyModelFailure(a).kind).toBe("unknown");
  });
});
