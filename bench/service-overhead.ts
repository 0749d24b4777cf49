/**
 * How much latency does the service add to a model call?
 *
 * Runs the simulator and the service as separate processes, then sends a
 * one-turn task (no tools called) three ways, interleaved in one run:
 *   - through the service: `Execute` with the SDK over Connect (HTTP/2),
 *     skipping the response cache so every request reaches the model;
 *   - straight to the simulator: the same chat completion the service sends
 *     (system prompt, tools offered, streaming with usage), with the OpenAI SDK;
 *   - through the service from its cache, for reference.
 * Requests alternate which way goes first, so drift and warm caches hit both
 * alike. Prints p50/p90/p99 of each and the difference.
 *
 *   npm run bench                       # 1,000 requests each after 200 warm-up
 *   BENCH_REQUESTS=5000 npm run bench
 */
import { once } from "node:events";
import OpenAI from "openai";
import { startProcess } from "./support/start-process.js";
import { createAgentClient } from "../client/index.js";
import { createBuiltinTools, createToolRegistry } from "../server/agent/tools/index.js";
import { defaultPrompt } from "../server/prompts/prompt-version.js";

const requests = Number(process.env["BENCH_REQUESTS"] ?? 1_000);
const warmup = Number(process.env["BENCH_WARMUP"] ?? 200);
const input = "Say hello to the benchmark.";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const simulator = await startProcess(["server/simulator/main.ts"], { SIMULATOR_PORT: "0" }, /(http:\/\/\S+\/v1)/);
const service = await startProcess(
  ["server/main.ts"],
  { PORT: "0", METRICS_PORT: "0", OPENAI_BASE_URL: simulator.url, AGENT_MODELS: "sim-small", LOG_LEVEL: "info" },
  /"url":"(http:\/\/[^"]+)"/,
);

try {
  const agent = createAgentClient({ baseUrl: service.url, protocol: "connect", httpVersion: "2" });
  const openai = new OpenAI({ baseURL: simulator.url, apiKey: "bench", maxRetries: 0 });
  const tools = createToolRegistry(createBuiltinTools()).definitions();

  const throughService = async () => {
    const res = await agent.execute(input, { bypassCache: true });
    if (res.output === "") {
      throw new Error("the service returned no output");
    }
  };
  const fromCache = async () => {
    const res = await agent.execute(input);
    if (res.steps[0]?.kind.case !== "modelCall" || !res.steps[0].kind.value.cached) {
      throw new Error("expected a cache hit");
    }
  };
  const direct = async () => {
    const stream = await openai.chat.completions.create({
      model: "sim-small",
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: defaultPrompt.system },
        { role: "user", content: input },
      ],
      tools: tools.map((t) => ({ type: "function" as const, function: { ...t.function } })),
    });
    let text = "";
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
    }
    if (text === "") {
      throw new Error("the simulator returned no text");
    }
  };
  const time = async (fn: () => Promise<void>) => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  };

  // Requests that bypass the cache neither read nor fill it: fill it once.
  await agent.execute(input);
  for (let i = 0; i < warmup; i++) {
    await throughService();
    await direct();
    await fromCache();
  }
  const serviceMs: number[] = [];
  const directMs: number[] = [];
  const cachedMs: number[] = [];
  for (let i = 0; i < requests; i++) {
    // Alternate the order so neither side always runs on a freshly idle machine.
    if (i % 2 === 0) {
      serviceMs.push(await time(throughService));
      directMs.push(await time(direct));
    } else {
      directMs.push(await time(direct));
      serviceMs.push(await time(throughService));
    }
    cachedMs.push(await time(fromCache));
  }
  agent.close();

  serviceMs.sort((a, b) => a - b);
  directMs.sort((a, b) => a - b);
  cachedMs.sort((a, b) => a - b);
  const row = (name: string, s: number[]) =>
    `${name.padEnd(28)}${[50, 90, 99].map((p) => percentile(s, p).toFixed(2).padStart(10)).join("")}`;
  const diff = (p: number) => (percentile(serviceMs, p) - percentile(directMs, p)).toFixed(2).padStart(10);
  console.log(`\nOne-turn Execute, ${requests} requests each after ${warmup} warm-up, interleaved (ms)`);
  console.log(`${"".padEnd(28)}${["p50", "p90", "p99"].map((h) => h.padStart(10)).join("")}`);
  console.log(row("through the service", serviceMs));
  console.log(row("straight to the simulator", directMs));
  console.log(`${"added by the service".padEnd(28)}${[50, 90, 99].map(diff).join("")}`);
  console.log(row("through the service, cached", cachedMs));
  console.log(`${"ratio service / direct".padEnd(28)}${[50, 90, 99].map((p) => (percentile(serviceMs, p) / percentile(directMs, p)).toFixed(2).padStart(10)).join("")}`);
} finally {
  service.child.kill("SIGTERM");
  simulator.child.kill("SIGTERM");
  await Promise.all([once(service.child, "exit"), once(simulator.child, "exit")]);
}
