/**
 * Streams: how many concurrent `Stream` calls (64 text deltas, 20 ms apart, from the
 * simulator's `SIMULATOR_CHUNK_DELAY_MS`) one replica holds with no stall, the RSS each open
 * stream costs, and the time to first token the service adds.
 *
 * - Added TTFT at concurrency 1: the service's first `textDelta` (live deltas, Connect over
 *   HTTP/2) against the first text chunk straight from the simulator, interleaved; each call is
 *   cancelled once its first token has arrived.
 * - Holding N: after an untimed step of 50, the load generator opens N streams over 1 s (so all
 *   N are open at once from 1 s to 1.28 s), N ramping up until a step has a
 *   stall (a gap over 100 ms, five times the pace, between two deltas of one stream), an
 *   error, or a stream short of 64 deltas. RSS per stream is the service's peak RSS during the
 *   step (polled every 100 ms) minus its RSS after a full GC before it, over N.
 * - The same N straight to the simulator at the largest step, to show it is not the limit.
 */
import { createAgentClient } from "../client/index.js";
import { startService, startSimulator, stopAll } from "./support/bench-processes.js";
import { meterCpu } from "./support/cpu-meter.js";
import { interleave } from "./support/interleave.js";
import { startLoadGenerator } from "./support/load-generator-client.js";
import type { StreamsResult } from "./support/load-step.js";
import { modelRequest, promptWithChunks } from "./support/model-request.js";
import type { ResultRow, ScenarioReport } from "./support/report.js";
import type { BenchSettings } from "./support/settings.js";
import type { StartedProcess } from "./support/start-process.js";
import { summarize } from "./support/stats.js";
import { benchToken } from "./support/bench-processes.js";

const deltas = 64;
const paceMs = 20;
const stallMs = 100;
const rampMs = 1_000;

interface HeldStep extends StreamsResult {
  readonly held: boolean;
  readonly rssPerStreamKiB: number;
  readonly heapPerStreamKiB: number;
  readonly serviceCpuShare: number;
  /** The service's CPU time over the step divided by the deltas it streamed, run starts included. */
  readonly serviceCpuPerDeltaUs: number;
  readonly simulatorCpuShare: number;
}

/** Polls the service's memory until stopped; resolves the peaks. */
function pollPeaks(service: StartedProcess): () => Promise<{ rss: number; heap: number }> {
  let rss = 0;
  let heap = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const reading = await service.read();
      rss = Math.max(rss, reading.rssBytes);
      heap = Math.max(heap, reading.heapUsedBytes);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return { rss, heap };
  };
}

/** Runs the scenario; see the file's comment. */
export async function measureStreams(settings: BenchSettings): Promise<ScenarioReport> {
  const began = performance.now();
  const simulator = await startSimulator({ SIMULATOR_CHUNK_DELAY_MS: String(paceMs) });
  const service = await startService(
    { OPENAI_BASE_URL: simulator.url, AGENT_CACHE: "off", AGENT_MAX_CONCURRENT_RUNS: "20000", AGENT_MAX_QUEUED_RUNS: "100000" },
    ["--expose-gc"],
  );
  const input = promptWithChunks(deltas);
  const body = JSON.stringify(modelRequest(input));
  const agent = createAgentClient({ baseUrl: service.url, protocol: "connect", httpVersion: "2", tracing: false, retries: 0, token: benchToken });
  const load = await startLoadGenerator();
  try {
    const firstToken = await interleave(
      [
        {
          name: "service",
          run: async () => {
            const controller = new AbortController();
            for await (const event of agent.stream(input, { textDeltas: "live", bypassCache: true, idempotencyKey: "", signal: controller.signal })) {
              if (event.event.case === "textDelta") break;
            }
            controller.abort();
          },
        },
        {
          name: "direct",
          run: async () => {
            const controller = new AbortController();
            const res = await fetch(`${simulator.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: controller.signal });
            const decoder = new TextDecoder();
            if (res.body === null) throw new Error("the simulator sent no body");
            for await (const bytes of res.body) if (/"content":"[^"]/.test(decoder.decode(bytes, { stream: true }))) break;
            controller.abort();
          },
        },
      ],
      settings.scale(200),
      10,
    );
    const ttft = { service: summarize(firstToken.get("service") ?? []), direct: summarize(firstToken.get("direct") ?? []) };

    await load.run({ kind: "streams", target: service.url, protocol: "connect", input, streams: 50, rampMs, stallMs });
    const counts = settings.quick ? [50, 200] : [50, 75, 100, 150, 200, 300, 500, 1_000, 2_000, 3_000];
    const steps: HeldStep[] = [];
    for (const streams of counts) {
      await service.collectGarbage();
      const idle = await service.read();
      const stopCpu = await meterCpu(service, simulator);
      const stopPolling = pollPeaks(service);
      const result = await load.run({ kind: "streams", target: service.url, protocol: "connect", input, streams, rampMs, stallMs });
      const peaks = await stopPolling();
      const [serviceCpu, simulatorCpu] = await stopCpu();
      const held = result.errors === 0 && result.stalled === 0 && result.completed === streams && result.minDeltas >= deltas;
      steps.push({
        ...result,
        held,
        rssPerStreamKiB: (peaks.rss - idle.rssBytes) / 1024 / streams,
        heapPerStreamKiB: (peaks.heap - idle.heapUsedBytes) / 1024 / streams,
        serviceCpuShare: serviceCpu?.share ?? 0,
        serviceCpuPerDeltaUs: (serviceCpu?.cpuUs ?? 0) / Math.max(1, streams * deltas),
        simulatorCpuShare: simulatorCpu?.share ?? 0,
      });
      if (!held) break;
    }
    const largest = steps.at(-1);
    const stopDirectCpu = await meterCpu(simulator);
    const direct = await load.run({ kind: "direct-streams", target: simulator.url, body, streams: largest?.streams ?? 0, rampMs, stallMs });
    const [directSimulatorCpu] = await stopDirectCpu();

    const heldSteps = steps.filter((step) => step.held);
    const best = heldSteps.at(-1);
    const rows: ResultRow[] = [
      { measure: "added TTFT p50 (c=1)", value: ttft.service.p50, baseline: ttft.direct.p50, added: ttft.service.p50 - ttft.direct.p50, unit: "ms" },
      {
        measure: "added TTFT p99 (c=1)",
        value: ttft.service.p99,
        baseline: ttft.direct.p99,
        added: ttft.service.p99 - ttft.direct.p99,
        unit: "ms",
        target: "added ≤ 2 ms",
        met: ttft.service.p99 - ttft.direct.p99 <= 2,
      },
      { measure: `concurrent streams held (no gap > ${stallMs} ms)`, value: best?.streams ?? 0, unit: "streams", target: "≥ 2,000", met: (best?.streams ?? 0) >= 2_000 },
    ];
    if (best !== undefined) {
      rows.push(
        { measure: `RSS per open stream at ${best.streams}`, value: best.rssPerStreamKiB, unit: "KiB", target: "≤ 50 KiB", met: best.rssPerStreamKiB <= 50 },
        {
          measure: `TTFT p99 at ${best.streams} streams (service CPU ${Math.round(best.serviceCpuShare * 100)}%)`,
          value: best.timeToFirstToken.p99,
          unit: "ms",
        },
        { measure: `service CPU per paced delta at ${best.streams} streams, run start included`, value: best.serviceCpuPerDeltaUs, unit: "µs" },
      );
    }
    if (largest !== undefined && !largest.held) {
      rows.push({
        measure: `at ${largest.streams} streams: stalled ${largest.stalled}, errors ${largest.errors}, max gap`,
        value: largest.maxGapMs,
        baseline: direct.maxGapMs,
        unit: "ms",
      });
    }
    rows.push({
      measure: `direct to simulator, ${direct.streams} streams: stalled ${direct.stalled}, TTFT p99`,
      value: direct.timeToFirstToken.p99,
      unit: "ms",
    });
    return {
      scenario: `streams (${deltas} deltas, ${paceMs} ms apart)`,
      rows,
      simulatorCpuShare: Math.max(directSimulatorCpu?.share ?? 0, ...steps.map((step) => step.simulatorCpuShare)),
      details: { ttft, steps, direct, directSimulatorCpuShare: directSimulatorCpu?.share },
      durationMs: performance.now() - began,
    };
  } finally {
    agent.close();
    await load.stop();
    await stopAll(service, simulator);
  }
}
