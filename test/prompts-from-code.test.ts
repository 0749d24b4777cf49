import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { PromptService } from "../gen/agent/v1/prompt_service_pb.js";
import { createLogger, isStartupError, loadConfig, startAgentService, type PromptDeclaration } from "../server/index.js";
import { startTestService, storeTemplate } from "./support/test-service.js";

// Prompts a deployment gives startAgentService in code (`prompts`), next to the built-in default
// and AGENT_PROMPTS_FILE. The packed library and a whole deployment: custom-deployment.test.ts.

const terse: PromptDeclaration = { name: "default", messages: [{ role: "system", template: "You are terse: answer in five words at most." }] };
const desk: PromptDeclaration = { name: "desk", note: "from code", messages: [{ role: "system", template: "You run the help desk." }], tools: ["calculator"] };

let fileDir: string;
beforeAll(async () => {
  fileDir = await mkdtemp(join(tmpdir(), "agent-prompts-from-code-"));
});
afterAll(() => rm(fileDir, { recursive: true, force: true }));

async function activeTemplate(url: string, name: string): Promise<string | undefined> {
  const { version } = await createClient(PromptService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" })).getPrompt({ name });
  return version?.content?.messages[0]?.template;
}

describe("prompts given in code", () => {
  it("are registered and activated at start-up, and one named default replaces the built-in default", async () => {
    const svc = await startTestService({}, { runtime: { prompts: [terse, desk] } });
    try {
      const agent = createClient(AgentService, createConnectTransport({ baseUrl: svc.url, httpVersion: "1.1" }));
      const unnamed = await agent.execute({ input: "What is 2 + 2?" });
      expect(unnamed.promptVersion).toMatch(/^default@[0-9a-f]{16}$/);
      expect(await activeTemplate(svc.url, "default")).toBe("You are terse: answer in five words at most.");
      const named = await agent.execute({ input: "What is 2 + 2?", prompt: "desk" });
      expect(named.promptVersion).toMatch(/^desk@[0-9a-f]{16}$/);
      expect(svc.logs.find((line) => line["prompt"] === "desk")?.["msg"]).toBe("prompt desk from the deployment's code");
    } finally {
      await svc.close();
    }
  });

  it("give way to AGENT_PROMPTS_FILE, registered after them, so an operator overrides one without a rebuild", async () => {
    const file = join(fileDir, "prompts.json");
    await writeFile(file, JSON.stringify({ prompts: [{ name: "desk", messages: [{ role: "system", template: "You run the night desk." }] }] }));
    const svc = await startTestService({ AGENT_PROMPTS_FILE: file }, { runtime: { prompts: [desk] } });
    try {
      expect(await activeTemplate(svc.url, "desk")).toBe("You run the night desk.");
    } finally {
      await svc.close();
    }
  });

  it.each([
    { problem: "a prompt declared twice", prompts: [desk, desk], message: /^prompts: prompt desk is declared twice/ },
    { problem: "an unknown tool", prompts: [{ ...desk, tools: ["order_status"] }], message: /^prompts: prompt desk: tools.*order_status/ },
    { problem: "an empty template", prompts: [{ name: "blank", messages: [{ role: "system", template: " " }] }] as PromptDeclaration[], message: /^prompts: prompt blank: messages\[0\]\.template: is empty/ },
  ])("stop the start with a StartupError naming the prompts option for $problem", async ({ prompts, message }) => {
    // The service's own simulator, so that a failed start leaves nothing running (start-up closes what it opened).
    const config = loadConfig({ HOST: "127.0.0.1", PORT: "0", METRICS_PORT: "off", AGENT_DATA_DIR: "memory://" });
    const failure = await startAgentService(config, { logger: createLogger({ level: "silent" }), pgliteTemplate: storeTemplate(), prompts }).catch((err: unknown) => err);
    expect(isStartupError(failure)).toBe(true);
    expect(failure).toMatchObject({ variable: "prompts", message: expect.stringMatching(message) });
  });
});
