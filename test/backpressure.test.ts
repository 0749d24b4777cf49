import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { AgentServiceError, Code, RunStatus, createAgentClient, type AgentClient, type StreamResponse } from "../client/index.js";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { longAnswer } from "../server/simulator/index.js";
import { startBreakableProxy, type BreakableProxy } from "./support/breakable-proxy.js";
import { runIdOf } from "./support/call-recorder.js";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService | undefined;
let proxy: BreakableProxy | undefined;
const clients: AgentClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((client) => client.close());
  await proxy?.close();
  proxy = undefined;
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
  // 40 MB through every buffer: seconds on an idle machine, more on a busy one.
  it("holds the model back, with bounded buffering end to end, and delivers the whole answer once read", { timeout: 120_000 }, async () => {
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

describe("a Stream over HTTP/1.1 whose client stops reading and then vanishes", () => {
  // Regression: connect-node's write to an HTTP/1.1 response waits for a
  // 'drain' that never comes once the peer is gone, so it never asks the
  // handler for another event (a keyed run goes on without it: see
  // server/runs/run-lifecycle.test.ts). A run without a key must still stop
  // and free its slot.
  const words = 20_000;
  const wordLength = 1_000;
  const task = `#words ${words}x${wordLength}`;

  /** Reads the first event, stalls until the service's writes wait, then resets the connection; returns what the stream ended with. */
  async function stallThenVanish(client: AgentClient, options: Parameters<AgentClient["stream"]>[1]) {
    const seen: StreamResponse[] = [];
    const ended = (async () => {
      for await (const event of client.stream(task, options)) {
        seen.push(event);
        if (seen.length === 1) {
          proxy?.stallResponses();
          // The model writes until every buffer between it and the stalled proxy is full.
          await settled(() => svc?.simulator.stats().bodyBytesWritten ?? 0);
          proxy?.cut({ reset: true });
        }
      }
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    return { seen, ended };
  }

  it("stops when it has none, and frees its slot: the run ends CANCELED", async () => {
    svc = await startTestService({ AGENT_CACHE: "off", AGENT_MAX_CONCURRENT_RUNS: "1", AGENT_MAX_QUEUED_RUNS: "0" });
    proxy = await startBreakableProxy({ host: "127.0.0.1", port: Number(new URL(svc.url).port) });
    const client = createAgentClient({ baseUrl: proxy.url, protocol: "connect", httpVersion: "1.1", timeoutMs: 60_000, retries: 0 });
    const direct = createAgentClient({ baseUrl: svc.url, protocol: "grpc", timeoutMs: 20_000, retries: 0 });
    clients.push(client, direct);
    const { seen, ended } = await stallThenVanish(client, { textDeltas: "live", idempotencyKey: "" });
    expect(await ended).toBeInstanceOf(AgentServiceError);
    // WatchRun follows the run to its end: the end it had, not a deadline.
    const watched = await (async () => {
      for await (const _ of direct.watchRun(runIdOf(seen))) {
        // Its events, up to its end.
      }
    })().catch((e: unknown) => e);
    expect((watched as AgentServiceError).code).toBe(Code.Canceled);
    expect((await direct.getRun(runIdOf(seen))).run?.status).toBe(RunStatus.CANCELED);
    // Its one slot is free again.
    expect((await direct.execute("What is 2 + 2?")).output).toContain("4");
  });
});
