import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentClient, StopReason, type AgentClient, type StreamResponse } from "../client/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService;
let client: AgentClient;
beforeAll(async () => {
  svc = await startTestService();
  client = createAgentClient({ baseUrl: svc.url, protocol: "grpc", retries: 0 });
});
afterAll(async () => {
  client.close();
  await svc.close();
});

describe("when the primary model breaks mid-answer", () => {
  it("marks the restart, then streams the fallback's complete answer", async () => {
    svc.simulator.setFaults([{ kind: "cut-stream", model: "sim-small" }]);
    try {
      const events: StreamResponse[] = [];
      for await (const event of client.stream("Hello there, who are you?", { textDeltas: "live" })) {
        events.push(event);
      }
      const kinds = events.map((e) => e.event.case);
      const restart = kinds.indexOf("stepRestarted");
      expect(restart).toBeGreaterThan(kinds.indexOf("textDelta"));
      const marker = events[restart]?.event;
      expect(marker?.case === "stepRestarted" && marker.value).toMatchObject({ failedModel: "sim-small", nextModel: "sim-large" });

      const after = events
        .slice(restart)
        .flatMap((e) => (e.event.case === "textDelta" ? [e.event.value.text] : []))
        .join("");
      const last = events.at(-1)?.event;
      const result = last?.case === "runCompleted" ? last.value.result : undefined;
      expect(result?.stopReason).toBe(StopReason.FINAL_ANSWER);
      expect(result?.model).toBe("sim-large");
      expect(result?.fallbackUsed).toBe(true);
      expect(after).toBe(result?.output);
    } finally {
      svc.simulator.clearFaults();
    }
  });
});
