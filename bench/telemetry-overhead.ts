/**
 * What does telemetry cost? Throughput of the same service with telemetry
 * off (no export, no metrics endpoint) and on (traces and metrics exported
 * over OTLP to a receiver, Prometheus endpoint enabled), under the same
 * concurrent load, in alternating rounds of one run. The target is less than
 * 5% lower throughput with telemetry on.
 *
 *   npm run bench:telemetry
 *   BENCH_ROUNDS=6 BENCH_REQUESTS=400 BENCH_CONCURRENCY=8 npm run bench:telemetry
 */
import { once } from "node:events";
import { startProcess } from "./support/start-process.js";
import { createAgentClient, type AgentClient } from "../client/index.js";
import { startOtlpReceiver } from "../test/support/otlp/index.js";
import { benchToken } from "./support/bench-processes.js";

const rounds = Number(process.env["BENCH_ROUNDS"] ?? 6);
const perRound = Number(process.env["BENCH_REQUESTS"] ?? 400);
const concurrency = Number(process.env["BENCH_CONCURRENCY"] ?? 8);

/** Sends `count` one-turn runs, `concurrency` at a time; returns runs per second. */
async function throughput(client: AgentClient, count: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      // Bypass the cache: every run reaches the model, as in production.
      await client.execute("Say hello to the benchmark.", { bypassCache: true, idempotencyKey: "" });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - started) / 1000);
}

const receiver = await startOtlpReceiver();
const simulator = await startProcess(["server/simulator/main.ts"], { SIMULATOR_PORT: "0" }, /(http:\/\/\S+\/v1)/);
const common = { PORT: "0", OPENAI_BASE_URL: simulator.url, AGENT_MODELS: "sim-small", LOG_LEVEL: "info" };
const listening = /"url":"(http:\/\/[^"]+)"/;
const off = await startProcess(["server/main.ts"], { ...common, METRICS_PORT: "off", OTEL_SDK_DISABLED: "true" }, listening);
const on = await startProcess(
  ["server/main.ts"],
  { ...common, METRICS_PORT: "0", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: "1000", OTEL_BSP_SCHEDULE_DELAY: "200" },
  listening,
);

try {
  const clients = {
    off: createAgentClient({ baseUrl: off.url, protocol: "connect", retries: 0, token: benchToken }),
    on: createAgentClient({ baseUrl: on.url, protocol: "connect", retries: 0, token: benchToken }),
  };
  // Warm-up: compile paths, open connections, fill the JIT.
  await throughput(clients.off, perRound / 2);
  await throughput(clients.on, perRound / 2);

  const results = { off: [] as number[], on: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    // Alternate which side goes first, so drift hits both alike.
    const order = round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const);
    for (const side of order) {
      results[side].push(await throughput(clients[side], perRound));
    }
  }
  clients.off.close();
  clients.on.close();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const offRate = median(results.off);
  const onRate = median(results.on);
  const cost = (1 - onRate / offRate) * 100;
  console.log(`\nThroughput, ${rounds} alternating rounds of ${perRound} one-turn runs, ${concurrency} concurrent (median runs/s)`);
  console.log(`telemetry off                 ${offRate.toFixed(1).padStart(10)}`);
  console.log(`telemetry on (OTLP export)    ${onRate.toFixed(1).padStart(10)}`);
  console.log(`cost of telemetry             ${cost.toFixed(1).padStart(9)}%   (target: under 5%)`);
  console.log(`spans received by the collector: ${receiver.spans().length}`);
} finally {
  for (const child of [on.child, off.child, simulator.child]) {
    child.kill("SIGTERM");
  }
  await Promise.all([once(on.child, "exit"), once(off.child, "exit"), once(simulator.child, "exit")]);
  await receiver.close();
}
