import { HumanMessage } from "@langchain/core/messages";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createChatModel } from "./chat-model.js";
import { streamingChatModelOf } from "./chat-model-stream.js";
import type { TurnSettings } from "./turn-settings.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A provider that answers "ok" and keeps every request body it received. */
async function provider(): Promise<{ baseUrl: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (part: string) => (body += part));
    req.on("end", () => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(chunk({ role: "assistant", content: "ok" }, null) + chunk({}, "stop") + "data: [DONE]\n\n");
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies };
}

/** The request body one streamed call with `settings` sends, for a model with `temperature`. */
async function bodyOf(settings: TurnSettings | undefined, model = "m", temperature?: number): Promise<Record<string, unknown>> {
  const { baseUrl, bodies } = await provider();
  const chat = streamingChatModelOf(createChatModel({ model, baseUrl, apiKey: "sk-test", ...(temperature === undefined ? {} : { temperature }) }));
  for await (const _chunk of await chat.stream([new HumanMessage("hi")], { signal: new AbortController().signal, tools: [], settings })) {
    // Read to the end.
  }
  const [body] = bodies;
  if (body === undefined) throw new Error("the provider got no request");
  return body;
}

describe("chat model requests", () => {
  it("send the model's own temperature and no limit or format when the turn sets none", async () => {
    const body = await bodyOf(undefined, "m", 0.2);
    expect(body["temperature"]).toBe(0.2);
    expect(body).not.toHaveProperty("max_tokens");
    expect(body).not.toHaveProperty("response_format");
  });

  it("send the turn's temperature, output tokens and output format", async () => {
    const schema = { type: "object", properties: { label: { type: "string" } }, required: ["label"] };
    const body = await bodyOf({ temperature: 0.7, maxOutputTokens: 256, outputFormat: { name: "sentiment", schema } });
    expect(body).toMatchObject({
      temperature: 0.7,
      max_tokens: 256,
      response_format: { type: "json_schema", json_schema: { name: "sentiment", schema, strict: false } },
      stream: true,
    });
  });

  it("put the output-token limit where LangChain puts it for a reasoning model", async () => {
    const body = await bodyOf({ maxOutputTokens: 512 }, "o3-mini");
    expect(body["max_completion_tokens"]).toBe(512);
    expect(body).not.toHaveProperty("max_tokens");
  });
});
