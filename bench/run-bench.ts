/**
 * `npm run bench`: every scenario, each side by side with its baseline in the same run, then a
 * Markdown table on standard output and in `bench/results/latest.md`, and every number in
 * `bench/results/latest.json`. Under 5 minutes on 2 cores.
 *
 *   npm run bench                                   # the full run
 *   BENCH_QUICK=1 npm run bench                     # a smoke run
 *   BENCH_ONLY=streams,cache-hit npm run bench      # some scenarios
 *   BENCH_SERVICE_ROOT=../before BENCH_SERVICE_COMMIT=c4444d8 npm run bench   # another tree's server/main.ts
 *   BENCH_OUTPUT=bench/results/before.json          # write the JSON elsewhere
 *   BENCH_CPU_PROF=./profiles                       # a --cpu-prof profile of every service
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { measureAddedLatency } from "./added-latency.js";
import { measureCacheHit } from "./cache-hit.js";
import { measureDurableCalls } from "./durable-calls.js";
import { measurePromptSelection } from "./prompt-selection.js";
import { measureResilience } from "./resilience.js";
import { measureStreams } from "./streams.js";
import { measureThroughputFrontier } from "./throughput-frontier.js";
import { serviceRoot } from "./support/bench-processes.js";
import { markdownTable, type ScenarioReport } from "./support/report.js";
import { loadBenchSettings, type BenchSettings } from "./support/settings.js";
import { projectRoot } from "./support/start-process.js";

const scenarios: Record<string, (settings: BenchSettings) => Promise<ScenarioReport>> = {
  "added-latency": measureAddedLatency,
  "cache-hit": measureCacheHit,
  resilience: measureResilience,
  "throughput-frontier": measureThroughputFrontier,
  streams: measureStreams,
  "durable-calls": measureDurableCalls,
  "prompt-selection": measurePromptSelection,
};

const settings = loadBenchSettings(process.env);
const only = process.env["BENCH_ONLY"]?.split(",").filter((name) => name !== "");
const output = resolve(projectRoot, process.env["BENCH_OUTPUT"] ?? "bench/results/latest.json");

function git(root: string, ...args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

const began = performance.now();
const loadBefore = loadavg();
const reports: ScenarioReport[] = [];
for (const [name, measure] of Object.entries(scenarios)) {
  if (only !== undefined && !only.includes(name)) continue;
  console.error(`bench: ${name}…`);
  const report = await measure(settings);
  console.error(`bench: ${name} took ${(report.durationMs / 1000).toFixed(1)} s`);
  reports.push(report);
}
const benchedRoot = serviceRoot ?? projectRoot;
const run = {
  startedAt: new Date(Date.now() - (performance.now() - began)).toISOString(),
  durationS: (performance.now() - began) / 1000,
  quick: settings.quick,
  serviceRoot: benchedRoot,
  // A tree copied out of git (such as `git archive`) names its commit with BENCH_SERVICE_COMMIT.
  commit: process.env["BENCH_SERVICE_COMMIT"] ?? git(benchedRoot, "rev-parse", "--short", "HEAD") ?? "unknown",
  uncommittedFiles: (git(benchedRoot, "status", "--porcelain") ?? "").split("\n").filter((line) => line !== "").length,
  // Names the exact state of uncommitted service code, which a commit id alone does not.
  serverDiffSha1: createHash("sha1").update(git(benchedRoot, "diff", "HEAD", "--", "server", "client") ?? "").digest("hex").slice(0, 12),
  runtime: { node: process.version, v8: process.versions.v8 },
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGiB: totalmem() / 1024 ** 3, freeGiB: freemem() / 1024 ** 3 },
  loadAverage: { before: loadBefore, after: loadavg() },
};
const table = markdownTable(reports);
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, `${JSON.stringify({ run, reports }, null, 2)}\n`);
writeFileSync(output.replace(/\.json$/, ".md"), `${table}\n`);
console.log(`\n${table}\n`);
console.log(
  `${run.quick ? "Quick run" : "Run"} of ${run.serviceRoot} (${run.commit}${run.uncommittedFiles > 0 ? `, ${run.uncommittedFiles} files changed` : ""}) ` +
    `on Node ${run.runtime.node}, ${run.machine.cores} × ${run.machine.cpu}, in ${run.durationS.toFixed(0)} s; ` +
    `load average ${loadBefore.map((value) => value.toFixed(2)).join(" ")} before. Written to ${output}.`,
);
