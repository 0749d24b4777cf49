import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { createBuiltinTools, type AgentTool } from "../server/agent/tools/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

/** The built-in tools, with every start recorded. */
function recordedTools(starts: string[]): AgentTool[] {
  return createBuiltinTools().map((tool) => ({
    ...tool,
    name: tool.name,
    description: tool.description,
    schema: tool.schema,
    invoke(args, context) {
      starts.push(tool.name);
      return tool.invoke(args, context);
    },
  }));
}

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

describe("a caller that cancels a Stream mid-run", () => {
  it("aborts the model's HTTP request and starts no tool after the cancel", async () => {
    const toolStarts: string[] = [];
    // The model streams its tool call slowly, so the caller cancels mid-stream; had the
    // cancel not reached the model's HTTP call, the tool call would complete and the tool run.
    svc = await startTestService(
      { AGENT_CACHE: "off" },
      { simulator: { chunkDelayMs: 100 }, runtime: { tools: recordedTools(toolStarts) } },
    );
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: svc.url }));
    const caller = new AbortController();
    const requested = once(svc.simulator.events, "request");
    const aborted = once(svc.simulator.events, "aborted");

    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of client.stream({ input: "What is 17 * 23?" }, { signal: caller.signal })) {
        seen.push(event.event.case ?? "");
        if (event.event.case === "runStarted") {
          // Cancel once the run's first model call has reached the model.
          await requested;
          caller.abort();
        }
      }
    })();
    await expect(reading).rejects.toThrow(/canceled|aborted/i);

    const [abort] = (await aborted) as [{ model: string }];
    expect(abort.model).toBe("sim-small");
    // Once the server has logged the end of the run, nothing of it can start any more.
    const logs = svc.logs;
    await expect.poll(() => logs.some((l) => l["msg"] === "run failed" && l["code"] === "Canceled")).toBe(true);
    expect(toolStarts).toEqual([]);
    expect(seen).toEqual(["runStarted"]);
    expect(svc.simulator.stats().requests).toBe(1);
  });
});
