import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAgentClient } from "../client/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Every fetch the process makes, by URL. The OpenAI SDK and LangChain's
// tiktoken loader both use the global fetch.
const fetched: string[] = [];
const realFetch = globalThis.fetch;

let svc: TestService;
beforeAll(async () => {
  vi.stubGlobal("fetch", (input: string | URL | Request, init?: RequestInit) => {
    fetched.push(input instanceof Request ? input.url : String(input));
    return realFetch(input, init);
  });
  svc = await startTestService();
});
afterAll(async () => {
  await svc.close();
  vi.unstubAllGlobals();
});

describe("at run time the service", () => {
  it("calls only the configured provider: no token-counting downloads, nothing else", async () => {
    const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc" });
    try {
      for (const input of ["What is 17 * 23?", "What time is it in Europe/Paris?", "Hello!", "#loop"]) {
        const res = await client.execute(input, { maxIterations: 2 });
        expect(res.usage?.inputTokens).toBeGreaterThan(0);
      }
    } finally {
      client.close();
    }
    expect(fetched.length).toBeGreaterThan(0);
    const foreign = fetched.filter((url) => !url.startsWith(svc.simulator.url));
    expect(foreign).toEqual([]);
  });
});
