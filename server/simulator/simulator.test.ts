import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSimulator, type Simulator, type SimulatorRequestEvent } from "./index.js";

const tools: ChatCompletionFunctionTool[] = [
  functionTool("calculator", { expression: { type: "string" } }),
  functionTool("current_time", { timezone: { type: "string" } }),
  functionTool("inventory_lookup", { query: { type: "string" } }),
];

function functionTool(name: string, properties: Record<string, unknown>): ChatCompletionFunctionTool {
  return {
    type: "function",
    function: { name, description: `The ${name} tool.`, parameters: { type: "object", properties, required: Object.keys(properties) } },
  };
}

/** Fake tools standing in for the real ones, keyed by name. */
const fakeTools: Record<string, (args: Record<string, string>) => string> = {
  calculator: ({ expression }) => ({ "17 * 23": "391", "2 + 2": "4" })[expression ?? ""] ?? "0",
  current_time: ({ timezone }) => `12:34 (${timezone})`,
  inventory_lookup: ({ query }) => JSON.stringify({ sku: query, quantity: 7 }),
};

/** A minimal tool-calling loop, like the agent executor's, to drive the simulator end to end. */
async function runAgent(client: OpenAI, question: string, maxIterations = 5) {
  const messages: ChatCompletionMessageParam[] = [{ role: "user", content: question }];
  for (let iteration = 0; iteration < maxIterations; iteration += 1) {
    const completion = await client.chat.completions.create({ model: "sim-small", messages, tools });
    const message = completion.choices[0]?.message;
    if (!message?.tool_calls?.length) return { answer: message?.content, messages };
    messages.push({ role: "assistant", content: null, tool_calls: message.tool_calls });
    for (const call of message.tool_calls) {
      if (call.type !== "function") throw new Error("unexpected custom tool call");
      let content: string;
      try {
        const tool = fakeTools[call.function.name];
        if (tool === undefined) throw new Error(`unknown tool ${call.function.name}`);
        content = tool(JSON.parse(call.function.arguments) as Record<string, string>);
      } catch (error) {
        content = `Error: ${String(error)}`;
      }
      messages.push({ role: "tool", tool_call_id: call.id, content });
    }
  }
  return { answer: undefined, messages };
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("simulator over HTTP", () => {
  let sim: Simulator;
  let client: OpenAI;

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

  it("serves its base URL with /v1 on an ephemeral port", () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}/v1`);
    expect(sim.port).toBeGreaterThan(0);
  });

  it("lists its models in OpenAI's format", async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["sim-small", "sim-large"]);
    expect(models.data[0]).toMatchObject({ object: "model", owned_by: "simulator" });
  });

  it("retrieves a served model and rejects others with model_not_found", async () => {
    expect(await client.models.retrieve("sim-large")).toMatchObject({ id: "sim-large", object: "model" });
    await expect(client.models.retrieve("gpt-imaginary")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("answers the same request with the same body", async () => {
    const body = JSON.stringify({ model: "sim-small", messages: [{ role: "user", content: "What is 17 * 23?" }], tools });
    const send = () =>
      fetch(`${sim.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body }).then(
        (response) => response.text(),
      );
    const first = await send();
    expect(await send()).toBe(first);
    const streamBody = JSON.stringify({ ...JSON.parse(body), stream: true });
    const sendStream = () =>
      fetch(`${sim.url}/chat/completions`, { method: "POST", body: streamBody }).then((response) => response.text());
    expect(await sendStream()).toBe(await sendStream());
  });

  it("plans a calculator call and answers with the tool's result", async () => {
    const { answer, messages } = await runAgent(client, "What is 17 * 23?");
    expect(messages[1]).toMatchObject({
      tool_calls: [{ type: "function", function: { name: "calculator", arguments: '{"expression":"17 * 23"}' } }],
    });
    expect(answer).toBe("17 * 23 = 391.");
    expect(answer).toContain("391");
  });

  it("makes parallel tool calls and answers each in call order", async () => {
    const { answer, messages } = await runAgent(client, "What is 2 + 2, what time is it in Tokyo, and is SKU-1001 in stock?");
    const assistant = messages[1];
    expect(assistant?.role === "assistant" && assistant.tool_calls?.map((call) => call.type === "function" && call.function.name)).toEqual([
      "calculator",
      "current_time",
      "inventory_lookup",
    ]);
    expect(answer).toBe(
      '2 + 2 = 4. The current time in Asia/Tokyo is 12:34 (Asia/Tokyo). Inventory for SKU-1001: {"sku":"SKU-1001","quantity":7}',
    );
  });

  it("answers from earlier turns: a three-turn conversation whose third question refers to the first", async () => {
    const sent: ChatCompletionMessageParam[][] = [];
    const onRequest = (event: SimulatorRequestEvent) => sent.push([...event.messages] as ChatCompletionMessageParam[]);
    sim.events.on("request", onRequest);
    const conversation: ChatCompletionMessageParam[] = [{ role: "system", content: "You are helpful." }];
    const ask = async (question: string) => {
      conversation.push({ role: "user", content: question });
      const completion = await client.chat.completions.create({ model: "sim-small", messages: conversation });
      const answer = completion.choices[0]?.message.content ?? "";
      conversation.push({ role: "assistant", content: answer });
      return answer;
    };
    try {
      await ask("What is  17 * 23?");
      await ask("Tell me about the moon");
      expect(await ask("What was my first question?")).toBe('Your first question was: "What is 17 * 23?".');
    } finally {
      sim.events.off("request", onRequest);
    }
    expect(sent.map((messages) => messages.length)).toEqual([2, 4, 6]);
    expect(sent[2]).toEqual(conversation.slice(0, 6));
  });

  it("says so when asked for the first question of a conversation that has none before it", async () => {
    const completion = await client.chat.completions.create({ model: "sim-small", messages: [{ role: "user", content: "What was my first question?" }], tools });
    expect(completion.choices[0]?.message.content).toBe("You have not asked anything before.");
  });

  it("never answers a #loop question", async () => {
    const { answer, messages } = await runAgent(client, "#loop keep going", 4);
    expect(answer).toBeUndefined();
    expect(messages.filter((message) => message.role === "assistant")).toHaveLength(4);
  });

  it("answers in plain text when no tool applies, with usage and finish reason", async () => {
    const completion = await client.chat.completions.create({
      model: "sim-large",
      messages: [{ role: "user", content: "Tell me a story" }],
      tools,
    });
    expect(completion).toMatchObject({ object: "chat.completion", model: "sim-large" });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.choices[0]?.message.content).toContain('"Tell me a story"');
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    const usage = completion.usage;
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it("streams text word by word, then the finish reason, usage and [DONE]", async () => {
    const request = { model: "sim-small", messages: [{ role: "user" as const, content: "What is 17 * 23?" }] };
    const chunks = await collect(
      await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } }),
    );
    const choiceChunks = chunks.filter((chunk) => chunk.choices.length > 0);
    expect(choiceChunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const deltas = choiceChunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").filter((text) => text !== "");
    expect(deltas.length).toBeGreaterThan(3);
    const streamed = deltas.join("");
    const whole = await client.chat.completions.create(request);
    expect(streamed).toBe(whole.choices[0]?.message.content);
    expect(choiceChunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ object: "chat.completion.chunk", choices: [], usage: whole.usage });
  });

  it("sends no usage chunk unless asked for", async () => {
    const chunks = await collect(
      await client.chat.completions.create({ model: "sim-small", messages: [{ role: "user", content: "Hi" }], stream: true }),
    );
    expect(chunks.every((chunk) => chunk.choices.length === 1 && chunk.usage === undefined)).toBe(true);
  });

  it("streams tool calls in pieces that the SDK assembles", async () => {
    const stream = client.chat.completions.stream({
      model: "sim-small",
      messages: [{ role: "user", content: "What time is it in Europe/Paris and what is (2 + 3) * 4?" }],
      tools,
    });
    let argumentDeltas = 0;
    stream.on("tool_calls.function.arguments.delta", () => (argumentDeltas += 1));
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0]?.message;
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(message?.content).toBeNull();
    expect(
      message?.tool_calls?.map((call) => (call.type === "function" ? [call.function.name, call.function.arguments] : [])),
    ).toEqual([
      ["calculator", '{"expression":"(2 + 3) * 4"}'],
      ["current_time", '{"timezone":"Europe/Paris"}'],
    ]);
    expect(message?.tool_calls?.every((call) => call.id.startsWith("call_"))).toBe(true);
    expect(argumentDeltas).toBeGreaterThan(2);
  });

  it("counts requests per model and announces each one", async () => {
    const announced: unknown[] = [];
    const onRequest = (event: unknown) => announced.push(event);
    sim.events.on("request", onRequest);
    try {
      await client.chat.completions.create({ model: "sim-small", messages: [{ role: "user", content: "Hi" }] });
      await collect(
        await client.chat.completions.create({ model: "sim-large", messages: [{ role: "user", content: "Hi" }], stream: true }),
      );
    } finally {
      sim.events.off("request", onRequest);
    }
    expect(announced).toEqual([
      { model: "sim-small", messages: [{ role: "user", content: "Hi" }], stream: false },
      { model: "sim-large", messages: [{ role: "user", content: "Hi" }], stream: true },
    ]);
    expect(sim.stats()).toEqual({ requests: 2, byModel: { "sim-small": 1, "sim-large": 1 }, aborted: 0, abortedByModel: {}, bodyBytesWritten: expect.any(Number) });
  });

  describe("with a json_schema response format", () => {
    const schema = {
      type: "object",
      properties: { label: { enum: ["positive", "negative", "neutral"] }, confidence: { type: "number" } },
      required: ["label", "confidence"],
    };
    const responseFormat = { type: "json_schema" as const, json_schema: { name: "sentiment", schema, strict: false } };

    it("answers with a JSON document that matches the schema, streamed in several chunks, and announces the format", async () => {
      const announced: SimulatorRequestEvent[] = [];
      const onRequest = (event: SimulatorRequestEvent) => announced.push(event);
      sim.events.on("request", onRequest);
      let chunks: ChatCompletionChunk[];
      try {
        chunks = await collect(
          await client.chat.completions.create({ model: "sim-small", messages: [{ role: "user", content: "Analyze sentiment: I love it" }], response_format: responseFormat, stream: true }),
        );
      } finally {
        sim.events.off("request", onRequest);
      }
      const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
      expect(JSON.parse(text)).toEqual({ label: "positive", confidence: 0.5 });
      expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
      expect(announced[0]?.responseFormat).toEqual({ name: "sentiment", schema });
    });

    it("answers #invalid-json with a document that does not parse, and the next question with one that does", async () => {
      const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Analyze sentiment: fine #invalid-json" }];
      const first = (await client.chat.completions.create({ model: "sim-small", messages, response_format: responseFormat })).choices[0]?.message.content ?? "";
      expect(() => JSON.parse(first) as unknown).toThrow(SyntaxError);
      messages.push({ role: "assistant", content: first }, { role: "user", content: "That is not valid JSON; reply with JSON only." });
      const second = (await client.chat.completions.create({ model: "sim-small", messages, response_format: responseFormat })).choices[0]?.message.content ?? "";
      expect(JSON.parse(second)).toEqual({ label: "positive", confidence: 0.5 });
    });

    it("still calls the tools a question needs, and answers with the document after their results", async () => {
      const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "What is 2 + 2?" }];
      const first = await client.chat.completions.create({ model: "sim-small", messages, tools, response_format: responseFormat });
      const call = first.choices[0]?.message.tool_calls?.[0];
      expect(call?.type === "function" && call.function.name).toBe("calculator");
      messages.push({ role: "assistant", content: null, tool_calls: first.choices[0]?.message.tool_calls ?? [] }, { role: "tool", tool_call_id: call?.id ?? "", content: "4" });
      const second = await client.chat.completions.create({ model: "sim-small", messages, tools, response_format: responseFormat });
      expect(JSON.parse(second.choices[0]?.message.content ?? "")).toEqual({ label: "positive", confidence: 0.5 });
    });
  });

  it("rejects an unknown model with 404 model_not_found", async () => {
    const error = await client.chat.completions
      .create({ model: "gpt-imaginary", messages: [{ role: "user", content: "Hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, code: "model_not_found" });
    expect(sim.stats().requests).toBe(0);
  });

  describe.each([
    ["unparseable JSON", "{not json", null],
    ["a body without messages", JSON.stringify({ model: "sim-small" }), "messages"],
    ["empty messages", JSON.stringify({ model: "sim-small", messages: [] }), "messages"],
    ["a message with an unknown role", JSON.stringify({ model: "sim-small", messages: [{ role: "robot", content: "x" }] }), "messages[0].role"],
    ["a json_schema response format without its schema", JSON.stringify({ model: "sim-small", messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema" } }), "response_format.json_schema"],
    ["a temperature above 2", JSON.stringify({ model: "sim-small", messages: [{ role: "user", content: "x" }], temperature: 2.5 }), "temperature"],
    ["an output-token limit of 0", JSON.stringify({ model: "sim-small", messages: [{ role: "user", content: "x" }], max_tokens: 0 }), "max_tokens"],
  ])("for %s", (_case, body, param) => {
    it("answers 400 with an OpenAI-style error", async () => {
      const response = await fetch(`${sim.url}/chat/completions`, { method: "POST", body });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ type: "invalid_request_error", param });
      expect(error.message).toEqual(expect.any(String));
    });
  });

  it("tells its listeners the sampling a request set: temperature and the output-token limit of either name", async () => {
    const seen: SimulatorRequestEvent[] = [];
    const listener = (event: SimulatorRequestEvent) => seen.push(event);
    sim.events.on("request", listener);
    try {
      const messages = [{ role: "user" as const, content: "Hello" }];
      await client.chat.completions.create({ model: "sim-small", messages, temperature: 0.7, max_tokens: 64 });
      await client.chat.completions.create({ model: "sim-small", messages, max_completion_tokens: 32 });
      await client.chat.completions.create({ model: "sim-small", messages });
    } finally {
      sim.events.off("request", listener);
    }
    expect(seen.map((event) => [event.temperature, event.maxTokens])).toEqual([
      [0.7, 64],
      [undefined, 32],
      [undefined, undefined],
    ]);
  });

  it("answers 404 for unknown paths", async () => {
    const response = await fetch(`${sim.url}/embeddings`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { message: "Invalid URL (POST /v1/embeddings)" } });
  });
});

describe("simulator with an API key", () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await createSimulator({ apiKey: "secret" });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("rejects a wrong key with 401", async () => {
    const client = new OpenAI({ baseURL: sim.url, apiKey: "wrong", maxRetries: 0 });
    const error = await client.models.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("rejects a missing key with 401 and an OpenAI-style body", async () => {
    const response = await fetch(`${sim.url}/chat/completions`, { method: "POST", body: "{}" });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_api_key" } });
  });

  it("accepts the right key", async () => {
    const client = new OpenAI({ baseURL: sim.url, apiKey: "secret", maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: "sim-small", messages: [{ role: "user", content: "Hi" }] });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
  });

  it("takes only the new key once it is rotated, as a provider does", async () => {
    const rotated = await createSimulator({ apiKey: "before" });
    try {
      const status = (apiKey: string) =>
        fetch(`${rotated.url}/models`, { headers: { authorization: `Bearer ${apiKey}` } }).then((response) => response.status);
      expect([await status("before"), await status("after")]).toEqual([200, 401]);
      rotated.setApiKey("after");
      expect([await status("before"), await status("after")]).toEqual([401, 200]);
    } finally {
      await rotated.close();
    }
  });
});
