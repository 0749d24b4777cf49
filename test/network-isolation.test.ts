import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentClient } from "../client/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Every outgoing HTTP request the process makes, by origin and path: model
// calls go over node:http, the OpenAI SDK and LangChain's tiktoken loader use
// fetch (undici). Both publish each request they start on a diagnostics channel.
const requested: string[] = [];
const onHttpRequest = (message: unknown) => {
  const { request } = message as { request: ClientRequest };
  requested.push(`${request.protocol}//${request.host}${request.path}`);
};
const onFetchRequest = (message: unknown) => {
  const { request } = message as { request: { origin: string; path: string } };
  requested.push(`${request.origin}${request.path}`);
};

let svc: TestService;
beforeAll(async () => {
  subscribe("http.client.request.start", onHttpRequest);
  subscribe("undici:request:create", onFetchRequest);
  svc = await startTestService();
});
afterAll(async () => {
  unsubscribe("http.client.request.start", onHttpRequest);
  unsubscribe("undici:request:create", onFetchRequest);
  await svc.close();
});

describe("at run time the service", () => {
  it("calls only the configured provider: no token-counting downloads, nothing else", async () => {
    const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc" });
    requested.length = 0;
    try {
      for (const input of ["What is 17 * 23?", "What time is it in Europe/Paris?", "Hello!", "#loop"]) {
        const res = await client.execute(input, { maxIterations: 2 });
        expect(res.usage?.inputTokens).toBeGreaterThan(0);
      }
    } finally {
      client.close();
    }
    const simulator = new URL(svc.simulator.url);
    const modelCalls = requested.filter((url) => url.startsWith(`http://${simulator.hostname}${simulator.pathname}`));
    expect(modelCalls.length).toBeGreaterThanOrEqual(4);
    expect(requested.filter((url) => !modelCalls.includes(url))).toEqual([]);
  });
});
