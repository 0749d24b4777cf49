/**
 * `npm run soak`: the service's RSS and heap over time under steady mixed load (see `MixedStep`:
 * cache misses and hits, streams read to the end and streams cancelled, Connect and gRPC), then
 * after the load stops, with the open-loop load generator in its own process. Samples every
 * 10 s; growth is the slope of a least-squares line through the samples after the warm-up.
 * Writes `bench/results/soak.json` and prints a table.
 *
 *   npm run soak                                  # 10 minutes at 100 runs/s
 *   SOAK_MINUTES=3 SOAK_RATE=50 npm run soak
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { startService, startSimulator, stopAll } from "./support/bench-processes.js";
import { startLoadGenerator } from "./support/load-generator-client.js";
import type { OpenLoopResult } from "./support/open-loop.js";
import type { ProbeReading } from "./support/process-probe.js";
import { projectRoot } from "./support/start-process.js";
import { round } from "./support/stats.js";

const minutes = Number(process.env["SOAK_MINUTES"] ?? 10);
const ratePerSecond = Number(process.env["SOAK_RATE"] ?? 100);
const sampleEveryMs = 10_000;
const warmupShare = 0.2;
const loadStepMs = 30_000;

interface Sample extends ProbeReading {
  readonly atS: number;
  readonly phase: "load" | "after";
}

/** Least-squares slope of `y` over `x`. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return variance === 0 ? 0 : covariance / variance;
}

const simulator = await startSimulator();
const service = await startService({ OPENAI_BASE_URL: simulator.url, AGENT_MAX_CONCURRENT_RUNS: "2000", AGENT_MAX_QUEUED_RUNS: "10000" }, ["--expose-gc"]);
const load = await startLoadGenerator();
const samples: Sample[] = [];
const steps: OpenLoopResult[] = [];
const began = performance.now();
const sample = async (phase: Sample["phase"]) => samples.push({ ...(await service.read()), atS: (performance.now() - began) / 1000, phase });
try {
  await sample("load");
  const sampler = setInterval(() => void sample("load"), sampleEveryMs);
  const loadMs = minutes * 60_000;
  // The load runs in steps so that each step's latency and errors are kept, not only the whole.
  while (performance.now() - began < loadMs) {
    steps.push(await load.run({ kind: "mixed", target: service.url, ratePerSecond, durationMs: Math.min(loadStepMs, loadMs - (performance.now() - began)), warmupMs: 0 }));
  }
  clearInterval(sampler);
  for (let index = 0; index < 3; index++) {
    await new Promise((done) => setTimeout(done, sampleEveryMs));
    await sample("after");
  }
  await service.collectGarbage();
  await sample("after");
} finally {
  await load.stop();
  await stopAll(service, simulator);
}

const underLoad = samples.filter((entry) => entry.phase === "load");
const warm = underLoad.filter((entry) => entry.atS >= minutes * 60 * warmupShare);
const mib = (bytes: number) => round(bytes / 1024 ** 2, 1);
const rssSlope = slope(warm.map((entry) => [entry.atS / 60, entry.rssBytes / 1024 ** 2]));
const heapSlope = slope(warm.map((entry) => [entry.atS / 60, entry.heapUsedBytes / 1024 ** 2]));
const requests = steps.reduce((sum, step) => sum + step.requests, 0);
const errors = steps.reduce((sum, step) => sum + step.errors, 0);
const summary = {
  minutes,
  ratePerSecond,
  requests,
  errors,
  rssSlopeMiBPerMin: round(rssSlope, 3),
  heapSlopeMiBPerMin: round(heapSlope, 3),
  rssAfterWarmupMiB: { first: mib(warm[0]?.rssBytes ?? 0), last: mib(warm.at(-1)?.rssBytes ?? 0), max: mib(Math.max(...warm.map((entry) => entry.rssBytes))) },
  afterLoadMiB: samples.filter((entry) => entry.phase === "after").map((entry) => ({ atS: round(entry.atS, 0), rss: mib(entry.rssBytes), heap: mib(entry.heapUsedBytes) })),
  p99PerStepMs: steps.map((step) => round(step.latency.p99, 1)),
};
const output = resolve(projectRoot, "bench/results/soak.json");
mkdirSync(resolve(projectRoot, "bench/results"), { recursive: true });
writeFileSync(output, `${JSON.stringify({ node: process.version, summary, samples, steps }, null, 2)}\n`);
console.log("\n| t (s) | phase | RSS (MiB) | heap used (MiB) |\n|---:|---|---:|---:|");
for (const entry of samples) console.log(`| ${round(entry.atS, 0)} | ${entry.phase} | ${mib(entry.rssBytes)} | ${mib(entry.heapUsedBytes)} |`);
console.log(`\n${JSON.stringify(summary, null, 2)}\nWritten to ${output}.`);
