/**
 * Durable calls: what an idempotency key and a thread cost a one-turn `Execute` (Connect over
 * HTTP/2, cache bypassed, c=1), against the same call without either, interleaved request by
 * request on one service. A keyed call claims its key in the store before the run and waits for
 * its record before the answer; a threaded one reads the thread's earlier turns before the run
 * and waits for its record too. Measured on the embedded store (PGlite in its worker thread) and,
 * when `BENCH_DATABASE_URL` names a PostgreSQL database the bench may use, on PostgreSQL.
 *
 * The other scenarios send calls without a key (`idempotencyKey: ""`): they measure the hot
 * path itself, comparable across trees; this one measures what durability adds to it.
 */
import { randomUUID } from "node:crypto";
import { createAgentClient, type AgentClient } from "../client/index.js";
import { startService, startSimulator, stopAll } from "./support/bench-processes.js";
import { interleave } from "./support/interleave.js";
import type { ResultRow, ScenarioReport } from "./support/report.js";
import type { BenchSettings } from "./support/settings.js";
import { summarize, type Summary } from "./support/stats.js";
import { benchToken } from "./support/bench-processes.js";

const input = "Say hello to the benchmark.";

/** Runs the scenario; see the file's comment. */
export async function measureDurableCalls(settings: BenchSettings): Promise<ScenarioReport> {
  const began = performance.now();
  const simulator = await startSimulator();
  const stores: { name: string; env: Record<string, string> }[] = [{ name: "PGlite", env: {} }];
  const databaseUrl = process.env["BENCH_DATABASE_URL"];
  if (databaseUrl !== undefined && databaseUrl !== "") {
    stores.push({ name: "PostgreSQL", env: { DATABASE_URL: databaseUrl } });
  }
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  try {
    for (const store of stores) {
      const service = await startService({ OPENAI_BASE_URL: simulator.url, ...store.env });
      const agent = createAgentClient({ baseUrl: service.url, protocol: "connect", httpVersion: "2", tracing: false, retries: 0, token: benchToken });
      try {
        const measured = await measureOn(agent, settings);
        details[store.name] = measured;
        const row = (measure: string, value: Summary, baseline: Summary, pick: "p50" | "p99"): ResultRow => ({
          measure: `${measure} ${pick}, ${store.name} (vs no key)`,
          value: value[pick],
          baseline: baseline[pick],
          added: value[pick] - baseline[pick],
          unit: "ms",
        });
        rows.push(
          row("keyed call", measured.keyed, measured.plain, "p50"),
          row("keyed call", measured.keyed, measured.plain, "p99"),
          row("call in a thread of 10+ turns", measured.threaded, measured.plain, "p50"),
          row("call in a thread of 10+ turns", measured.threaded, measured.plain, "p99"),
        );
      } finally {
        agent.close();
        await service.stop();
      }
    }
  } finally {
    await stopAll(simulator);
  }
  return { scenario: "durable calls (c=1, Connect h2)", rows, details, durationMs: performance.now() - began };
}

async function measureOn(agent: AgentClient, settings: BenchSettings): Promise<{ plain: Summary; keyed: Summary; threaded: Summary }> {
  // A thread with ten earlier turns: what a conversation's next turn reads first.
  const threadId = randomUUID();
  for (let turn = 0; turn < 10; turn++) {
    await agent.execute(`${input} (turn ${turn})`, { threadId, bypassCache: true });
  }
  const check = (output: string) => {
    if (output === "") throw new Error("the run gave no answer");
  };
  const rounds = settings.scale(300);
  const samples = await interleave(
    [
      { name: "plain", run: async () => check((await agent.execute(input, { bypassCache: true, idempotencyKey: "" })).output) },
      // A new key per call, as the SDK makes by default.
      { name: "keyed", run: async () => check((await agent.execute(input, { bypassCache: true })).output) },
      { name: "threaded", run: async () => check((await agent.execute(input, { bypassCache: true, idempotencyKey: "", threadId })).output) },
    ],
    rounds,
    Math.ceil(rounds / 5),
  );
  return {
    plain: summarize(samples.get("plain") ?? []),
    keyed: summarize(samples.get("keyed") ?? []),
    threaded: summarize(samples.get("threaded") ?? []),
  };
}
