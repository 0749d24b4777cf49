/**
 * Cache hit: a one-turn `Execute` answered from the service's response cache, against the
 * ceiling, the bare connect-node echo of `support/echo-server.ts`, over the same transport and
 * protocol (Connect over HTTP/2, one connection each), interleaved request by request.
 */
import { createAgentClient } from "../client/index.js";
import { startEcho, startService, startSimulator, stopAll } from "./support/bench-processes.js";
import { meterCpu } from "./support/cpu-meter.js";
import { interleave } from "./support/interleave.js";
import type { ScenarioReport } from "./support/report.js";
import type { BenchSettings } from "./support/settings.js";
import { summarize } from "./support/stats.js";
import { benchToken } from "./support/bench-processes.js";

const input = "Say hello to the benchmark.";

/** Runs the scenario; see the file's comment. */
export async function measureCacheHit(settings: BenchSettings): Promise<ScenarioReport> {
  const began = performance.now();
  const [simulator, echo] = await Promise.all([startSimulator(), startEcho()]);
  const service = await startService({ OPENAI_BASE_URL: simulator.url });
  const agent = createAgentClient({ baseUrl: service.url, protocol: "connect", httpVersion: "2", tracing: false, retries: 0, token: benchToken });
  const ceiling = createAgentClient({ baseUrl: echo.url, protocol: "connect", httpVersion: "2", tracing: false, retries: 0, token: benchToken });
  try {
    // The first run fills the cache; every timed one must be a hit.
    await agent.execute(input, { idempotencyKey: "" });
    const rounds = settings.scale(1_000);
    const stop = await meterCpu(simulator);
    const samples = await interleave(
      [
        {
          name: "cached",
          run: async () => {
            const res = await agent.execute(input, { idempotencyKey: "" });
            if (res.steps[0]?.kind.case !== "modelCall" || !res.steps[0].kind.value.cached) throw new Error("expected a cache hit");
          },
        },
        {
          name: "ceiling",
          run: async () => {
            const res = await ceiling.execute(input, { idempotencyKey: "" });
            if (res.output !== input) throw new Error("the echo did not echo");
          },
        },
      ],
      rounds,
      Math.ceil(rounds / 5),
    );
    const [simulatorCpu] = await stop();
    const cached = summarize(samples.get("cached") ?? []);
    const echoed = summarize(samples.get("ceiling") ?? []);
    return {
      scenario: "cache hit vs echo ceiling (c=1, Connect h2)",
      rows: [
        { measure: "cache hit p50", value: cached.p50, baseline: echoed.p50, added: cached.p50 - echoed.p50, ratio: cached.p50 / echoed.p50, unit: "ms", target: "ratio ≤ 1.5", met: cached.p50 / echoed.p50 <= 1.5 },
        { measure: "cache hit p99", value: cached.p99, baseline: echoed.p99, added: cached.p99 - echoed.p99, ratio: cached.p99 / echoed.p99, unit: "ms" },
      ],
      simulatorCpuShare: simulatorCpu?.share ?? 0,
      details: { cached, ceiling: echoed },
      durationMs: performance.now() - began,
    };
  } finally {
    agent.close();
    ceiling.close();
    await stopAll(service, simulator, echo);
  }
}
