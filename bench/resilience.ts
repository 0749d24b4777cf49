/**
 * Resilience paths at concurrency 1, each against its own baseline, interleaved:
 * - a 429 then success: `Execute` whose first model call gets a 429 (`retry-after-ms: 0`) and
 *   whose retry succeeds, against the same two requests sent straight to the simulator;
 * - a fallback: the primary answers 503 (no retries), the fallback answers, against the same
 *   two requests sent straight to the simulator;
 * - an open breaker: the only model's breaker is open, so `Execute` fails fast with
 *   UNAVAILABLE, against the echo ceiling (it should cost about the same).
 * Each path has its own service; the simulator's fault rules are set before each path (and,
 * for the one-shot 429, before each request, untimed).
 */
import { Code } from "@connectrpc/connect";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { createAgentClient, isAgentServiceError, type AgentClient } from "../client/index.js";
import { startEcho, startService, startSimulator, stopAll } from "./support/bench-processes.js";
import { meterCpu } from "./support/cpu-meter.js";
import { interleave, type Arm } from "./support/interleave.js";
import { modelRequest, promptWithChunks } from "./support/model-request.js";
import type { ResultRow, ScenarioReport } from "./support/report.js";
import type { BenchSettings } from "./support/settings.js";
import type { StartedProcess } from "./support/start-process.js";
import { summarize } from "./support/stats.js";
import { benchToken } from "./support/bench-processes.js";

const input = promptWithChunks(1);

function modelsFile(name: string, models: readonly Record<string, unknown>[]): string {
  const path = join(tmpdir(), `bench-${process.pid}-${name}.json`);
  writeFileSync(path, JSON.stringify({ models }));
  return path;
}

async function setFaults(simulator: StartedProcess, rules: readonly Record<string, unknown>[]): Promise<void> {
  const res = await fetch(new URL("/_simulator/faults", simulator.url), { method: "PUT", body: JSON.stringify(rules) });
  if (!res.ok) throw new Error(`cannot set simulator faults: ${res.status} ${await res.text()}`);
}

function clientOf(service: StartedProcess): AgentClient {
  return createAgentClient({ baseUrl: service.url, protocol: "connect", httpVersion: "2", tracing: false, retries: 0, token: benchToken });
}

const succeeds = (agent: AgentClient) => async () => {
  const res = await agent.execute(input, { bypassCache: true, idempotencyKey: "" });
  if (!res.output.startsWith("w0")) throw new Error(`unexpected output ${res.output.slice(0, 40)}`);
};

/** Runs the scenario; see the file's comment. */
export async function measureResilience(settings: BenchSettings): Promise<ScenarioReport> {
  const began = performance.now();
  const [simulator, echo] = await Promise.all([startSimulator(), startEcho()]);
  const base = { OPENAI_BASE_URL: simulator.url };
  const [retrying, fallingBack, broken] = await Promise.all([
    startService({ ...base, AGENT_MODEL_MAX_RETRIES: "2", AGENT_RETRY_INITIAL_BACKOFF_MS: "1" }),
    startService({
      ...base,
      AGENT_MODELS_FILE: modelsFile("fallback", [
        // An error-rate breaker that needs more calls than the bench makes never opens.
        { name: "sim-small", maxRetries: 0, breakerErrorRate: 0.99, breakerMinimumRps: 1_000_000 },
        { name: "sim-large" },
      ]),
    }),
    startService({
      ...base,
      AGENT_MODELS_FILE: modelsFile("breaker", [{ name: "sim-small", maxRetries: 0, breakerThreshold: 1, breakerHalfOpenAfterMs: 3_600_000 }]),
    }),
  ]);
  const clients = [clientOf(retrying), clientOf(fallingBack), clientOf(broken)] as const;
  const ceiling = createAgentClient({ baseUrl: echo.url, protocol: "connect", httpVersion: "2", tracing: false, retries: 0, token: benchToken });
  const openai = new OpenAI({ baseURL: simulator.url, apiKey: "bench", maxRetries: 0 });
  const direct = async (model: string) => {
    let text = "";
    for await (const chunk of await openai.chat.completions.create(modelRequest(input, model))) text += chunk.choices[0]?.delta.content ?? "";
    if (!text.startsWith("w0")) throw new Error("the simulator returned no text");
  };
  const failsOnce = async (model: string, status: number) => {
    try {
      await direct(model);
    } catch (error) {
      if (error instanceof OpenAI.APIError && error.status === status) return;
      throw error;
    }
    throw new Error(`expected a ${status} from ${model}`);
  };
  const rounds = settings.scale(300);
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  let simulatorCpuUs = 0;
  let wallMs = 0;
  const path = async (name: string, arms: readonly [Arm, Arm], target?: { text: string; maxRatio: number }) => {
    const stop = await meterCpu(simulator);
    const samples = await interleave(arms, rounds, Math.ceil(rounds / 5));
    const [simulatorCpu] = await stop();
    simulatorCpuUs += simulatorCpu?.cpuUs ?? 0;
    wallMs += simulatorCpu?.wallMs ?? 0;
    const service = summarize(samples.get(arms[0].name) ?? []);
    const baseline = summarize(samples.get(arms[1].name) ?? []);
    details[name] = { service, baseline };
    for (const p of ["p50", "p99"] as const) {
      const ratio = service[p] / baseline[p];
      rows.push({
        measure: `${name} ${p} (vs ${arms[1].name})`,
        value: service[p],
        baseline: baseline[p],
        added: service[p] - baseline[p],
        ratio,
        unit: "ms",
        ...(target === undefined || p !== "p50" ? {} : { target: target.text, met: ratio <= target.maxRatio }),
      });
    }
  };
  try {
    const oneShot429 = [{ kind: "status", status: 429, retryAfterMs: 0, times: 1 }];
    await path("429 then success", [
      { name: "service", prepare: () => setFaults(simulator, oneShot429), run: succeeds(clients[0]) },
      {
        name: "direct 429 + retry",
        prepare: () => setFaults(simulator, oneShot429),
        run: async () => {
          await failsOnce("sim-small", 429);
          await direct("sim-small");
        },
      },
    ]);

    await setFaults(simulator, [{ model: "sim-small", kind: "status", status: 503 }]);
    await path("fallback", [
      { name: "service", run: succeeds(clients[1]) },
      {
        name: "direct 503 + fallback",
        run: async () => {
          await failsOnce("sim-small", 503);
          await direct("sim-large");
        },
      },
    ]);

    // One failure opens the breaker; from then on no call reaches the simulator.
    await clients[2].execute(input, { bypassCache: true, idempotencyKey: "" }).catch(() => undefined);
    const unavailable = async () => {
      try {
        await clients[2].execute(input, { bypassCache: true, idempotencyKey: "" });
      } catch (error) {
        // The SDK's errors are AgentServiceErrors, which `ConnectError.from` does not recognise.
        if (isAgentServiceError(error) && error.code === Code.Unavailable) return;
        throw error;
      }
      throw new Error("expected UNAVAILABLE from an open breaker");
    };
    await path(
      "open breaker",
      [
        { name: "service", run: unavailable },
        {
          name: "echo ceiling",
          run: async () => {
            await ceiling.execute(input, { idempotencyKey: "" });
          },
        },
      ],
      { text: "≈ ceiling (ratio ≤ 1.5)", maxRatio: 1.5 },
    );
    await setFaults(simulator, []);
    return {
      scenario: "resilience paths (c=1, Connect h2)",
      rows,
      simulatorCpuShare: simulatorCpuUs / 1000 / wallMs,
      details,
      durationMs: performance.now() - began,
    };
  } finally {
    for (const client of [...clients, ceiling]) client.close();
    await stopAll(retrying, fallingBack, broken, simulator, echo);
  }
}
