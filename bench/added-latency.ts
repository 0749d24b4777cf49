/**
 * Added latency: a one-turn `Execute` through the service (Connect over HTTP/2, cache bypassed)
 * minus the same chat completion sent straight to the simulator with the OpenAI SDK, at
 * concurrency 1, interleaved request by request, for a 1-chunk and a 200-chunk answer.
 *
 * The added cost per streamed chunk is measured two ways: from latency,
 * (added at 200 − added at 1) / 199; and from the service's own CPU time (its probe's
 * `process.cpuUsage`), (CPU per 200-chunk run − CPU per 1-chunk run) / 199, which is the
 * number held to the target: it is what a chunk costs the replica, whatever else runs.
 */
import OpenAI from "openai";
import { createAgentClient } from "../client/index.js";
import { startService, startSimulator, stopAll } from "./support/bench-processes.js";
import { meterCpu } from "./support/cpu-meter.js";
import { interleave } from "./support/interleave.js";
import { modelRequest, promptWithChunks } from "./support/model-request.js";
import type { ResultRow, ScenarioReport } from "./support/report.js";
import { summarize } from "./support/stats.js";
import type { BenchSettings } from "./support/settings.js";
import { benchToken } from "./support/bench-processes.js";

const longChunks = 200;

/** Runs the scenario; see the file's comment. */
export async function measureAddedLatency(settings: BenchSettings): Promise<ScenarioReport> {
  const began = performance.now();
  const simulator = await startSimulator();
  const service = await startService({ OPENAI_BASE_URL: simulator.url });
  const agent = createAgentClient({ baseUrl: service.url, protocol: "connect", httpVersion: "2", tracing: false, retries: 0, token: benchToken });
  const openai = new OpenAI({ baseURL: simulator.url, apiKey: "bench", maxRetries: 0 });
  try {
    const arms = (chunks: number) => {
      const input = promptWithChunks(chunks);
      const request = modelRequest(input);
      return [
        {
          name: "service",
          run: async () => {
            const res = await agent.execute(input, { bypassCache: true, idempotencyKey: "" });
            if (!res.output.startsWith("w0")) throw new Error(`unexpected output ${res.output.slice(0, 40)}`);
          },
        },
        {
          name: "direct",
          run: async () => {
            let text = "";
            for await (const chunk of await openai.chat.completions.create(request)) text += chunk.choices[0]?.delta.content ?? "";
            if (!text.startsWith("w0")) throw new Error("the simulator returned no text");
          },
        },
      ];
    };
    const samples = { short: { service: [] as number[], direct: [] as number[], cpuUs: 0, runs: 0 }, long: { service: [] as number[], direct: [] as number[], cpuUs: 0, runs: 0 } };
    let simulatorCpuUs = 0;
    let wallMs = 0;
    // Blocks of each size alternate, so the CPU of each is read over the same stretch of time.
    const blocks = settings.quick ? 2 : 5;
    for (let block = 0; block < blocks; block++) {
      for (const size of block % 2 === 0 ? (["short", "long"] as const) : (["long", "short"] as const)) {
        const rounds = size === "short" ? settings.scale(300) : settings.scale(100);
        const target = samples[size];
        const warmup = block === 0 ? Math.ceil(rounds / 5) : 0;
        const stop = await meterCpu(service, simulator);
        const measured = await interleave(arms(size === "short" ? 1 : longChunks), rounds, warmup);
        const [serviceCpu, simulatorCpu] = await stop();
        // The warm-up rounds of the first block ran inside the window too.
        const runs = rounds + warmup;
        target.service.push(...(measured.get("service") ?? []));
        target.direct.push(...(measured.get("direct") ?? []));
        target.cpuUs += serviceCpu?.cpuUs ?? 0;
        target.runs += runs;
        simulatorCpuUs += simulatorCpu?.cpuUs ?? 0;
        wallMs += serviceCpu?.wallMs ?? 0;
      }
    }
    const short = { service: summarize(samples.short.service), direct: summarize(samples.short.direct) };
    const long = { service: summarize(samples.long.service), direct: summarize(samples.long.direct) };
    const cpuPerShortUs = samples.short.cpuUs / samples.short.runs;
    const cpuPerLongUs = samples.long.cpuUs / samples.long.runs;
    const cpuPerChunkUs = (cpuPerLongUs - cpuPerShortUs) / (longChunks - 1);
    const latencyPerChunkUs = ((long.service.p50 - long.direct.p50 - (short.service.p50 - short.direct.p50)) * 1000) / (longChunks - 1);
    const row = (measure: string, value: number, baseline: number, target?: string, limit?: number): ResultRow => ({
      measure,
      value,
      baseline,
      added: value - baseline,
      unit: "ms",
      ...(target === undefined || limit === undefined ? {} : { target, met: value - baseline <= limit }),
    });
    return {
      scenario: "added latency (c=1, Connect h2)",
      rows: [
        row("1-chunk answer p50", short.service.p50, short.direct.p50, "added ≤ 2 ms", 2),
        row("1-chunk answer p99", short.service.p99, short.direct.p99, "added ≤ 5 ms", 5),
        row(`${longChunks}-chunk answer p50`, long.service.p50, long.direct.p50),
        row(`${longChunks}-chunk answer p99`, long.service.p99, long.direct.p99),
        { measure: "service CPU per 1-chunk run", value: cpuPerShortUs, unit: "µs" },
        { measure: "added CPU per streamed chunk (service CPU)", value: cpuPerChunkUs, unit: "µs", target: "≤ 10 µs", met: cpuPerChunkUs <= 10 },
        { measure: "added latency per streamed chunk (p50 difference)", value: latencyPerChunkUs, unit: "µs" },
      ],
      simulatorCpuShare: simulatorCpuUs / 1000 / wallMs,
      details: { short, long, cpuPerShortUs, cpuPerLongUs, runs: { short: samples.short.runs, long: samples.long.runs } },
      durationMs: performance.now() - began,
    };
  } finally {
    agent.close();
    await stopAll(service, simulator);
  }
}
