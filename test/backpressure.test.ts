import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { longAnswer } from "../server/simulator/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

/**
 * Polls `read` until it returns the same value `stableFor` times in a row,
 * at most `attempts` polls; returns that value. For a counter that grows
 * until something fills up: there is no event for "stopped growing".
 */
async function settled(read: () => number, { intervalMs = 50, stableFor = 6, attempts = 400 } = {}): Promise<number> {
  let last = read();
  let stable = 0;
  for (let i = 0; i < attempts; i++) {
    await delay(intervalMs);
    const now = read();
    stable = now === last ? stable + 1 : 0;
    last = now;
    if (stable >= stableFor) {
      return now;
    }
  }
  throw new Error(`still growing after ${attempts} polls: ${last}`);
}

describe("a Stream whose client reads nothing", () => {
  it("holds the model back, with bounded buffering end to end, and delivers the whole answer once read", async () => {
    // Regression: the gateway's queue was unbounded, so a client that read
    // nothing while the model streamed fast grew the heap by the whole answer.
    svc = await startTestService({ AGENT_CACHE: "off" });
    // Far more than every buffer between the simulator and the client (kernel socket buffers grow to several MB).
    const words = 40_000;
    const wordLength = 1_000;
    const expected = longAnswer(words, wordLength);
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: svc.url }));
    const events = client.stream({ input: `#words ${words}x${wordLength}` })[Symbol.asyncIterator]();
    try {
      const first = await events.next();
      expect(first.done === false && first.value.event.case).toBe("runStarted");

      // The client stalls: the simulator writes until the buffers between them are full, then waits.
      const stalled = await settled(() => svc?.simulator.stats().bodyBytesWritten ?? 0);
      expect(stalled).toBeGreaterThan(0);
      expect(stalled).toBeLessThan(expected.length / 4);

      // The client reads again: the rest arrives, whole and in order.
      let text = "";
      let output: string | undefined;
      for (let next = await events.next(); next.done !== true; next = await events.next()) {
        const event = next.value.event;
        if (event.case === "textDelta") {
          text += event.value.text;
        } else if (event.case === "runCompleted") {
          output = event.value.result?.output;
        }
      }
      expect(text.length).toBe(expected.length);
      expect(text === expected).toBe(true);
      expect(output === expected).toBe(true);
      expect(svc.simulator.stats().bodyBytesWritten).toBeGreaterThan(expected.length);
    } finally {
      await events.return?.();
    }
  });
});
