import { once } from "node:events";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createSimulator, type FaultRule, type Simulator } from "./index.js";

const calculatorTool = {
  type: "function",
  function: { name: "calculator", parameters: { type: "object", properties: { expression: { type: "string" } } } },
} as const;

const question = { role: "user", content: "What is 17 * 23?" } as const;

function chatBody(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: "sim-small", messages: [question], tools: [calculatorTool], ...overrides });
}

/** Reads a body to its end or until the connection fails, keeping what arrived. */
async function readAll(response: Response): Promise<{ text: string; failed: boolean }> {
  if (response.body === null) return { text: "", failed: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, failed: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, failed: true };
  }
}

function dataLines(text: string): string[] {
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: "))
    .map((frame) => frame.slice("data: ".length));
}

/** The text content of a complete or partial stream. */
function streamedContent(text: string): string {
  return dataLines(text)
    .filter((line) => line !== "[DONE]")
    .map((line) => JSON.parse(line) as { choices: Array<{ delta: { content?: string | null } }> })
    .map((chunk) => chunk.choices[0]?.delta.content ?? "")
    .join("");
}

describe("simulator faults", () => {
  let sim: Simulator;
  let client: OpenAI;
  const post = (body: string, signal?: AbortSignal) =>
    fetch(`${sim.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, signal });

  beforeAll(async () => {
    sim = await createSimulator();
    client = new OpenAI({ baseURL: sim.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.clearFaults();
    sim.resetStats();
  });

  it("answers a status fault with OpenAI's error shape and retry headers", async () => {
    sim.setFaults([{ kind: "status", status: 429, retryAfterSeconds: 2, retryAfterMs: 1500 }]);
    const response = await post(chatBody());
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(response.headers.get("retry-after-ms")).toBe("1500");
    expect(await response.json()).toMatchObject({ error: { type: "rate_limit_exceeded", code: "rate_limit_exceeded" } });
  });

  it("defaults a status fault to 503 server_error, seen by the SDK as an API error", async () => {
    sim.setFaults([{ kind: "status" }]);
    const error = await client.chat.completions.create({ model: "sim-small", messages: [question] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503, type: "server_error" });
  });

  it("applies a rule only as many times as it allows", async () => {
    sim.setFaults([{ kind: "status", status: 500, times: 2 }]);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) statuses.push((await post(chatBody())).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(sim.stats().requests).toBe(3);
  });

  it("applies a rule only to the model it names", async () => {
    sim.setFaults([{ kind: "status", status: 502, model: "sim-large" }]);
    expect((await post(chatBody({ model: "sim-small" }))).status).toBe(200);
    expect((await post(chatBody({ model: "sim-large" }))).status).toBe(502);
  });

  it("holds back the first token of a stream, and stops waiting when the client leaves", async () => {
    sim.setFaults([{ kind: "slow-first-token", delayMs: 60_000 }]);
    const controller = new AbortController();
    // Headers arrive at once even though the first token is a minute away.
    const response = await post(chatBody({ stream: true }), controller.signal);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const aborted = once(sim.events, "aborted");
    controller.abort();
    expect(await aborted).toEqual([{ model: "sim-small" }]);
    expect(sim.stats()).toMatchObject({ aborted: 1, abortedByModel: { "sim-small": 1 } });
  });

  it("delays a JSON response by the configured time", async () => {
    sim.setFaults([{ kind: "slow-first-token", delayMs: 30 }]);
    const started = performance.now();
    const response = await post(chatBody());
    expect(response.status).toBe(200);
    await response.json();
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("never answers a hung request, and counts the client giving up", async () => {
    sim.setFaults([{ kind: "hang", times: 1 }]);
    const controller = new AbortController();
    const accepted = once(sim.events, "request");
    const pending = post(chatBody(), controller.signal).catch((error: unknown) => error);
    await accepted;
    const aborted = once(sim.events, "aborted");
    controller.abort();
    await aborted;
    expect(await pending).toMatchObject({ name: "AbortError" });
    expect(sim.stats()).toMatchObject({ requests: 1, aborted: 1 });
  });

  it("sends a truncated JSON body for malformed-json", async () => {
    sim.setFaults([{ kind: "malformed-json" }]);
    const response = await post(chatBody());
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith('{"id":"chatcmpl-')).toBe(true);
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
  });

  it("puts an invalid data line into a stream for malformed-json, which the SDK rejects", async () => {
    sim.setFaults([{ kind: "malformed-json" }]);
    const { text } = await readAll(await post(chatBody({ stream: true, tools: [] })));
    const invalid = dataLines(text).filter((line) => {
      if (line === "[DONE]") return false;
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(invalid).toHaveLength(1);

    // The SDK logs the chunk it could not parse before throwing; keep the test output clean.
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const stream = await client.chat.completions.create({ model: "sim-small", messages: [question], stream: true });
      await expect(async () => {
        for await (const _chunk of stream) {
          // Reading is what fails.
        }
      }).rejects.toThrow(SyntaxError);
    } finally {
      consoleError.mockRestore();
    }
  });

  it("cuts a stream after part of the answer, without finish_reason or [DONE]", async () => {
    const body = chatBody({ stream: true, tools: [] });
    const whole = streamedContent((await readAll(await post(body))).text);
    sim.setFaults([{ kind: "cut-stream" }]);
    const { text, failed } = await readAll(await post(body));
    expect(failed).toBe(true);
    const partial = streamedContent(text);
    expect(partial).not.toBe("");
    expect(whole.startsWith(partial) && partial.length < whole.length).toBe(true);
    expect(text).not.toContain("[DONE]");
    expect(text).not.toContain('"finish_reason":"stop"');
    // The server cut the connection; the client did not abort.
    expect(sim.stats().aborted).toBe(0);
  });

  it("cuts a JSON body part way through", async () => {
    sim.setFaults([{ kind: "cut-stream" }]);
    const response = await post(chatBody());
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it("sends invalid tool arguments, then valid ones once the error comes back", async () => {
    sim.setFaults([{ kind: "invalid-tool-arguments", times: 1 }]);
    const tools = [calculatorTool];
    const first = await client.chat.completions.create({ model: "sim-small", messages: [question], tools });
    const badCall = first.choices[0]?.message.tool_calls?.[0];
    if (badCall?.type !== "function") throw new Error("expected a function call");
    expect(() => JSON.parse(badCall.function.arguments) as unknown).toThrow(SyntaxError);

    const retried = await client.chat.completions.create({
      model: "sim-small",
      tools,
      messages: [
        question,
        { role: "assistant", content: null, tool_calls: [badCall] },
        { role: "tool", tool_call_id: badCall.id, content: "Error: arguments are not valid JSON" },
      ],
    });
    const retry = retried.choices[0]?.message.tool_calls?.[0];
    if (retry?.type !== "function") throw new Error("expected a function call");
    expect(JSON.parse(retry.function.arguments)).toEqual({ expression: "17 * 23" });
  });

  describe("control endpoints", () => {
    const control = (path: string, init?: RequestInit) => fetch(new URL(`/_simulator/${path}`, sim.url), init);

    it("replaces faults with PUT and shows remaining uses", async () => {
      const rules: FaultRule[] = [{ kind: "status", status: 429, times: 2 }];
      const put = await control("faults", { method: "PUT", body: JSON.stringify(rules) });
      expect(put.status).toBe(200);
      expect((await post(chatBody())).status).toBe(429);
      expect(await (await control("faults")).json()).toEqual({ faults: [{ kind: "status", status: 429, times: 1 }] });
    });

    it("rejects invalid fault rules with a message naming the problem", async () => {
      const response = await control("faults", { method: "PUT", body: JSON.stringify([{ kind: "status", time: 1 }]) });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { message: string } };
      expect(error.message).toContain('Unrecognized key: "time"');
    });

    it("clears faults with DELETE", async () => {
      sim.setFaults([{ kind: "status" }]);
      expect((await control("faults", { method: "DELETE" })).status).toBe(204);
      expect((await post(chatBody())).status).toBe(200);
    });

    it("reports and resets stats", async () => {
      await (await post(chatBody({ model: "sim-large" }))).text();
      expect(await (await control("stats")).json()).toEqual({
        requests: 1,
        byModel: { "sim-large": 1 },
        aborted: 0,
        abortedByModel: {},
        bodyBytesWritten: expect.any(Number),
      });
      expect(sim.stats().bodyBytesWritten).toBeGreaterThan(0);
      expect((await control("stats/reset", { method: "POST" })).status).toBe(204);
      expect(sim.stats()).toMatchObject({ requests: 0, bodyBytesWritten: 0 });
    });
  });
});

describe("simulator shutdown", () => {
  it("closes without waiting for hung requests", async () => {
    const sim = await createSimulator({ faults: [{ kind: "hang" }] });
    const accepted = once(sim.events, "request");
    const pending = fetch(`${sim.url}/chat/completions`, { method: "POST", body: chatBody() }).catch((error: unknown) => error);
    await accepted;
    await sim.close();
    expect(await pending).toBeInstanceOf(TypeError);
    // Shutting down is not a client abort.
    expect(sim.stats().aborted).toBe(0);
  });

  it("lets tests cancel mid-stream with a chunk delay", async () => {
    const sim = await createSimulator({ chunkDelayMs: 20 });
    try {
      const client = new OpenAI({ baseURL: sim.url, apiKey: "x", maxRetries: 0 });
      const controller = new AbortController();
      const stream = await client.chat.completions.create(
        { model: "sim-small", messages: [{ role: "user", content: "Tell me a long story please" }], stream: true },
        { signal: controller.signal },
      );
      const aborted = once(sim.events, "aborted");
      const received: string[] = [];
      // The SDK ends the iteration quietly when its own signal aborts it.
      for await (const chunk of stream) {
        received.push(chunk.choices[0]?.delta.content ?? "");
        if (received.length === 2) controller.abort();
      }
      await aborted;
      expect(received).toHaveLength(2);
      expect(sim.stats().aborted).toBe(1);
    } finally {
      await sim.close();
    }
  });
});
