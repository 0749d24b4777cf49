/**
 * Throughput frontier: the highest fixed request rate at which one-turn `Execute` keeps its
 * p99 added latency under 20 ms and its errors under 0.1%, against a simulator that answers
 * every request 20 ms late, over Connect and over gRPC (both HTTP/2), with the open-loop load
 * generator in its own process. Each rate is measured three ways back to back: straight to the
 * simulator (the baseline), through the service over Connect, and over gRPC; added p99 is the
 * service's p99 minus the baseline's at the same rate. Steps last 2.5–6 s (at least ~400
 * requests); the ramp stops for a protocol after two failing rates in a row, and its frontier
 * is the highest rate that passed. The simulator's and the service's CPU are read at every step.
 */
import { startService, startSimulator, stopAll } from "./support/bench-processes.js";
import { meterCpu } from "./support/cpu-meter.js";
import { startLoadGenerator } from "./support/load-generator-client.js";
import type { LoadProtocol } from "./support/load-step.js";
import { modelRequest, promptWithChunks } from "./support/model-request.js";
import type { OpenLoopResult } from "./support/open-loop.js";
import type { ResultRow, ScenarioReport } from "./support/report.js";
import type { BenchSettings } from "./support/settings.js";

const answerDelayMs = 20;
const maxAddedP99Ms = 20;
const maxErrorRate = 0.001;

interface FrontierStep {
  readonly rate: number;
  readonly direct: OpenLoopResult;
  readonly simulatorCpuShare: number;
  readonly protocols: Partial<Record<LoadProtocol, OpenLoopResult & { addedP99Ms: number; passed: boolean; serviceCpuShare: number; simulatorCpuShare: number }>>;
}

/** Runs the scenario; see the file's comment. */
export async function measureThroughputFrontier(settings: BenchSettings): Promise<ScenarioReport> {
  const began = performance.now();
  const simulator = await startSimulator({ SIMULATOR_FAULTS: JSON.stringify([{ kind: "slow-first-token", delayMs: answerDelayMs }]) });
  const service = await startService({
    OPENAI_BASE_URL: simulator.url,
    AGENT_CACHE: "off",
    AGENT_MAX_CONCURRENT_RUNS: "20000",
    AGENT_MAX_QUEUED_RUNS: "100000",
  });
  const load = await startLoadGenerator();
  const input = promptWithChunks(1);
  const body = JSON.stringify(modelRequest(input));
  // Long enough at low rates for a p99 of a few hundred requests, short enough for the budget.
  const stepMs = (rate: number) => (settings.quick ? 1_200 : Math.min(6_000, Math.max(2_500, (400 / rate) * 1000 + warmupMs)));
  const warmupMs = settings.quick ? 300 : 500;
  const rates = settings.quick ? [100, 300, 1_000] : [50, 100, 150, 200, 250, 300, 400, 500, 650, 800, 1_000, 1_250, 1_500, 2_000, 2_500];
  const steps: FrontierStep[] = [];
  const frontier: Record<LoadProtocol, number> = { connect: 0, grpc: 0 };
  const stillPassing = new Set<LoadProtocol>(["connect", "grpc"]);
  // A protocol leaves the ramp after two failing rates in a row, so one GC pause cannot end it.
  const failuresInARow: Record<LoadProtocol, number> = { connect: 0, grpc: 0 };
  try {
    // A short untimed step per protocol warms the service's code paths and connections.
    for (const protocol of stillPassing) {
      await load.run({ kind: "execute", target: service.url, protocol, input, ratePerSecond: 200, durationMs: 800, warmupMs: 0 });
    }
    for (const rate of rates) {
      if (stillPassing.size === 0) break;
      const stopDirect = await meterCpu(simulator);
      const durationMs = stepMs(rate);
      const direct = await load.run({ kind: "direct", target: simulator.url, body, ratePerSecond: rate, durationMs, warmupMs });
      const [directSimulatorCpu] = await stopDirect();
      const step: FrontierStep = { rate, direct, simulatorCpuShare: directSimulatorCpu?.share ?? 0, protocols: {} };
      for (const protocol of [...stillPassing]) {
        const stop = await meterCpu(service, simulator);
        const result = await load.run({ kind: "execute", target: service.url, protocol, input, ratePerSecond: rate, durationMs, warmupMs });
        const [serviceCpu, simulatorCpu] = await stop();
        const addedP99Ms = result.latency.p99 - direct.latency.p99;
        const passed = addedP99Ms < maxAddedP99Ms && result.errors / Math.max(1, result.requests) < maxErrorRate;
        step.protocols[protocol] = { ...result, addedP99Ms, passed, serviceCpuShare: serviceCpu?.share ?? 0, simulatorCpuShare: simulatorCpu?.share ?? 0 };
        failuresInARow[protocol] = passed ? 0 : failuresInARow[protocol] + 1;
        if (passed) frontier[protocol] = rate;
        else if (failuresInARow[protocol] >= 2) stillPassing.delete(protocol);
      }
      steps.push(step);
    }
  } finally {
    await load.stop();
    await stopAll(service, simulator);
  }
  const rows: ResultRow[] = [];
  for (const protocol of ["connect", "grpc"] as const) {
    const atFrontier = steps.find((step) => step.rate === frontier[protocol]);
    const measured = atFrontier?.protocols[protocol];
    rows.push({
      measure: `frontier, ${protocol} (p99 added < ${maxAddedP99Ms} ms, errors < 0.1%)`,
      value: frontier[protocol],
      unit: "runs/s",
      target: "≥ 1,000 runs/s",
      met: frontier[protocol] >= 1_000,
    });
    if (measured !== undefined && atFrontier !== undefined) {
      rows.push({
        measure: `${protocol} p99 at ${atFrontier.rate}/s (service CPU ${Math.round(measured.serviceCpuShare * 100)}%)`,
        value: measured.latency.p99,
        baseline: atFrontier.direct.latency.p99,
        added: measured.addedP99Ms,
        unit: "ms",
      });
    }
  }
  const simulatorShares = steps.flatMap((step) => [step.simulatorCpuShare, ...Object.values(step.protocols).map((result) => result.simulatorCpuShare)]);
  return {
    scenario: `throughput frontier (open loop, ${answerDelayMs} ms simulator)`,
    rows,
    simulatorCpuShare: Math.max(0, ...simulatorShares),
    details: { frontier, steps, warmupMs },
    durationMs: performance.now() - began,
  };
}
