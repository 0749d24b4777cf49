/**
 * The load generator, a process of its own (started by `load-generator-client.ts`) so that the
 * CPU it burns is not the harness's and shows up apart from the service's. It runs the
 * {@link LoadStep}s it is sent over the IPC channel, one at a time, and answers each result.
 */
import { createAgentClient, type AgentClient } from "../../client/index.js";
import type { LoadProtocol, LoadResult, LoadStep, StreamsResult } from "./load-step.js";
import { runOpenLoop } from "./open-loop.js";
import { summarize } from "./stats.js";
import { benchToken } from "./bench-processes.js";

/** HTTP/2 connections to the service per protocol, used round-robin, as several callers would. */
const connectionsPerTarget = 4;
const callTimeoutMs = 10_000;

const clients = new Map<string, AgentClient[]>();
const roundRobin = new Map<string, number>();

function clientFor(target: string, protocol: LoadProtocol): AgentClient {
  const key = `${protocol} ${target}`;
  let pool = clients.get(key);
  if (pool === undefined) {
    pool = Array.from({ length: connectionsPerTarget }, () =>
      createAgentClient({ baseUrl: target, protocol, httpVersion: "2", tracing: false, timeoutMs: callTimeoutMs, retries: 0, token: benchToken }),
    );
    clients.set(key, pool);
  }
  const turn = roundRobin.get(key) ?? 0;
  roundRobin.set(key, turn + 1);
  const client = pool[turn % pool.length];
  if (client === undefined) throw new Error("empty client pool");
  return client;
}

async function postCompletion(target: string, body: string): Promise<Response> {
  const res = await fetch(`${target}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer bench" },
    body,
    signal: AbortSignal.timeout(callTimeoutMs),
  });
  if (res.status !== 200) throw new Error(`simulator answered ${res.status}`);
  return res;
}

/** Opens `count` streams spread over `rampMs`; `open` resolves when its stream ends and calls `onText` per delta. */
async function runStreams(
  count: number,
  rampMs: number,
  stallMs: number,
  open: (onText: () => void) => Promise<void>,
): Promise<StreamsResult> {
  const started = performance.now();
  const firstTokens: number[] = [];
  const errorSamples = new Set<string>();
  let completed = 0;
  let errors = 0;
  let stalled = 0;
  let maxGapMs = 0;
  let minDeltas = Number.POSITIVE_INFINITY;
  let openNow = 0;
  let peakOpen = 0;

  const one = async (index: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, (index / count) * rampMs));
    const streamStart = performance.now();
    let last = streamStart;
    let deltas = 0;
    let streamMaxGap = 0;
    openNow++;
    peakOpen = Math.max(peakOpen, openNow);
    try {
      await open(() => {
        const now = performance.now();
        if (deltas === 0) firstTokens.push(now - streamStart);
        else streamMaxGap = Math.max(streamMaxGap, now - last);
        last = now;
        deltas++;
      });
      completed++;
      minDeltas = Math.min(minDeltas, deltas);
      maxGapMs = Math.max(maxGapMs, streamMaxGap);
      if (streamMaxGap > stallMs) stalled++;
    } catch (error) {
      errors++;
      if (errorSamples.size < 5) errorSamples.add(error instanceof Error ? error.message : String(error));
    } finally {
      openNow--;
    }
  };
  await Promise.all(Array.from({ length: count }, (_, index) => one(index)));
  return {
    streams: count,
    completed,
    errors,
    errorSamples: [...errorSamples],
    stalled,
    maxGapMs,
    timeToFirstToken: summarize(firstTokens),
    minDeltas: Number.isFinite(minDeltas) ? minDeltas : 0,
    peakOpen,
    durationMs: performance.now() - started,
  };
}

let mixedCount = 0;

/** One request of the soak's mix (see `MixedStep`). */
async function mixedRequest(target: string): Promise<void> {
  const client = clientFor(target, mixedCount % 2 === 0 ? "connect" : "grpc");
  const slot = mixedCount++ % 10;
  if (slot < 5) {
    await client.execute(`Say hello to soak run ${mixedCount}.`);
  } else if (slot < 7) {
    await client.execute("Say hello to the soak.");
  } else if (slot < 9) {
    for await (const event of client.stream("#words 64 Stream to the soak.", { textDeltas: "live" })) void event;
  } else {
    const controller = new AbortController();
    try {
      for await (const event of client.stream("#words 64 Cancel the soak.", { textDeltas: "live", signal: controller.signal })) {
        if (event.event.case === "textDelta") controller.abort();
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  }
}

async function run(step: LoadStep): Promise<LoadResult> {
  switch (step.kind) {
    case "execute":
      return runOpenLoop(step, async () => {
        const res = await clientFor(step.target, step.protocol).execute(step.input, { bypassCache: true, idempotencyKey: "" });
        if (res.output === "") throw new Error("the service returned no output");
      });
    case "direct":
      return runOpenLoop(step, async () => {
        const text = await (await postCompletion(step.target, step.body)).text();
        if (!text.includes("[DONE]")) throw new Error("the simulator's stream did not finish");
      });
    case "streams":
      return runStreams(step.streams, step.rampMs, step.stallMs, async (onText) => {
        for await (const event of clientFor(step.target, step.protocol).stream(step.input, { textDeltas: "live", bypassCache: true, idempotencyKey: "" })) {
          if (event.event.case === "textDelta") onText();
        }
      });
    case "mixed":
      return runOpenLoop(step, () => mixedRequest(step.target));
    case "direct-streams":
      return runStreams(step.streams, step.rampMs, step.stallMs, async (onText) => {
        const res = await postCompletion(step.target, step.body);
        const decoder = new TextDecoder();
        if (res.body === null) throw new Error("the simulator sent no body");
        for await (const bytes of res.body) {
          // One paced write is one SSE frame; only frames with text count as deltas.
          if (/"content":"[^"]/.test(decoder.decode(bytes, { stream: true }))) onText();
        }
      });
  }
}

process.on("message", (step: LoadStep) => {
  run(step).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.stack : String(error) }),
  );
});
process.on("disconnect", () => {
  for (const pool of clients.values()) for (const client of pool) client.close();
  process.exit(0);
});
process.send?.({ ready: true });
