/**
 * Prompt selection: a one-turn `Execute` that names its prompt, or pins a version of it, against
 * the same run naming none, interleaved request by request on one service (Connect over HTTP/2).
 * It also counts the service's queries of the prompt store while the runs are timed
 * (`agent_prompt_store_reads_total` from its Prometheus endpoint): choosing a run's prompt must
 * add none; what remains is the poll every `AGENT_PROMPT_REFRESH_MS`.
 */
import { createAgentClient } from "../client/index.js";
import { benchToken, freePort, startService, startSimulator, stopAll } from "./support/bench-processes.js";
import { interleave } from "./support/interleave.js";
import type { ScenarioReport } from "./support/report.js";
import type { BenchSettings } from "./support/settings.js";
import { summarize } from "./support/stats.js";

const input = "Say hello to the benchmark.";
const refreshMs = 1_000;

/** Store reads by kind, from the service's Prometheus text. */
async function storeReads(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const reads: Record<string, number> = {};
  for (const match of text.matchAll(/^agent_prompt_store_reads_total\{[^}]*agent_prompt_read="(\w+)"[^}]*\} (\S+)$/gm)) {
    reads[match[1] as string] = (reads[match[1] as string] ?? 0) + Number(match[2]);
  }
  return reads;
}

/** Runs the scenario; see the file's comment. */
export async function measurePromptSelection(settings: BenchSettings): Promise<ScenarioReport> {
  const began = performance.now();
  const simulator = await startSimulator();
  const metricsPort = await freePort();
  const service = await startService({
    OPENAI_BASE_URL: simulator.url,
    AGENT_CACHE: "off",
    METRICS_PORT: String(metricsPort),
    AGENT_PROMPT_REFRESH_MS: String(refreshMs),
  });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const agent = createAgentClient({ baseUrl: service.url, protocol: "connect", httpVersion: "2", tracing: false, retries: 0, token: benchToken });
  try {
    const first = await agent.execute(input, { idempotencyKey: "" });
    const [name, version] = first.promptVersion.split("@") as [string, string];
    // A pinned version is read once, on its first use: before the timed runs.
    await agent.execute(input, { idempotencyKey: "", prompt: name, promptVersion: version });
    const rounds = settings.scale(1_000);
    const before = await storeReads(metricsUrl);
    const timedFrom = performance.now();
    const samples = await interleave(
      [
        { name: "default", run: async () => void (await agent.execute(input, { idempotencyKey: "" })) },
        { name: "named", run: async () => void (await agent.execute(input, { idempotencyKey: "", prompt: name })) },
        { name: "pinned", run: async () => void (await agent.execute(input, { idempotencyKey: "", prompt: name, promptVersion: version })) },
      ],
      rounds,
      Math.ceil(rounds / 5),
    );
    const timedS = (performance.now() - timedFrom) / 1000;
    const after = await storeReads(metricsUrl);
    const delta = (kind: string) => (after[kind] ?? 0) - (before[kind] ?? 0);
    const runs = [...samples.values()].reduce((sum, list) => sum + list.length, 0);
    const selectionReads = delta("reload") + delta("version");
    const defaults = summarize(samples.get("default") ?? []);
    const named = summarize(samples.get("named") ?? []);
    const pinned = summarize(samples.get("pinned") ?? []);
    return {
      scenario: "prompt selection (c=1, Connect h2, one service)",
      rows: [
        { measure: "named prompt p50", value: named.p50, baseline: defaults.p50, added: named.p50 - defaults.p50, ratio: named.p50 / defaults.p50, unit: "ms" },
        { measure: "pinned version p50", value: pinned.p50, baseline: defaults.p50, added: pinned.p50 - defaults.p50, ratio: pinned.p50 / defaults.p50, unit: "ms" },
        {
          measure: `store queries choosing prompts, per run (${runs} runs)`,
          value: selectionReads / runs,
          unit: "queries",
          target: "0",
          met: selectionReads === 0,
        },
        { measure: `generation polls in ${timedS.toFixed(1)} s (one per ${refreshMs} ms)`, value: delta("generation"), unit: "queries" },
      ],
      simulatorCpuShare: 0,
      details: { default: defaults, named, pinned, storeReads: { before, after } },
      durationMs: performance.now() - began,
    };
  } finally {
    agent.close();
    await stopAll(service, simulator);
  }
}
