import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { AgentServiceError, Code, createAgentClient } from "../client/index.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

/** The value of the first series named `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([\w:]+)(?:\{(.*)\})? (\S+)/.exec(line);
    if (match?.[1] !== name) {
      continue;
    }
    const found = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) {
      return Number(match[3]);
    }
  }
  return undefined;
}

async function scrape(url: string | undefined): Promise<string> {
  if (url === undefined) {
    throw new Error("metrics are off");
  }
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

describe("the Prometheus endpoint", () => {
  it("shows requests, runs, model calls, tokens, cost, tools, breakers and cache after a run", async () => {
    svc = await startTestService();
    const client = createAgentClient({ baseUrl: svc.url });
    try {
      await client.execute("What is 17 * 23?");
      await client.execute("What is 17 * 23?");
      await client.execute("").catch(() => undefined);
      // Waits for this replica's run records to be written.
      expect((await client.listRuns()).runs).toHaveLength(2);
    } finally {
      client.close();
    }
    const text = await scrape(svc.service.metricsUrl);
    const rpc = { rpc_system_name: "connectrpc", rpc_method: "agent.v1.AgentService/Execute" };
    expect(sample(text, "rpc_server_requests_total", { ...rpc, rpc_status_code: "ok" })).toBe(2);
    expect(sample(text, "rpc_server_requests_total", { ...rpc, rpc_status_code: "invalid_argument" })).toBe(1);
    expect(sample(text, "rpc_server_call_duration_count", { ...rpc, rpc_status_code: "ok" })).toBe(2);
    expect(sample(text, "agent_run_duration_count", { agent_stop_reason: "final_answer" })).toBe(2);
    expect(sample(text, "agent_runs_in_flight")).toBe(0);
    expect(sample(text, "agent_runs_queued")).toBe(0);
    const chat = { gen_ai_operation_name: "chat", gen_ai_request_model: "sim-small" };
    expect(sample(text, "gen_ai_client_operation_duration_count", { ...chat, agent_outcome: "ok" })).toBe(2);
    expect(sample(text, "gen_ai_client_operation_duration_count", { ...chat, agent_outcome: "cache_hit" })).toBe(2);
    expect(sample(text, "agent_model_time_to_first_token_count", { gen_ai_request_model: "sim-small" })).toBeGreaterThan(0);
    expect(sample(text, "gen_ai_client_token_usage_sum", { gen_ai_request_model: "sim-small", gen_ai_token_type: "input" })).toBeGreaterThan(0);
    expect(sample(text, "agent_tokens_total", { gen_ai_request_model: "sim-small", agent_principal: "dev", gen_ai_token_type: "output" })).toBeGreaterThan(0);
    expect(sample(text, "agent_cost_total", { gen_ai_request_model: "sim-small", agent_principal: "dev" })).toBeGreaterThan(0);
    expect(sample(text, "agent_tool_duration_count", { gen_ai_tool_name: "calculator", agent_outcome: "ok" })).toBe(2);
    expect(sample(text, "agent_model_breaker_state", { gen_ai_request_model: "sim-small" })).toBe(0);
    expect(sample(text, "agent_model_breaker_state", { gen_ai_request_model: "sim-large" })).toBe(0);
    expect(sample(text, "agent_cache_lookups_total", { agent_result: "miss" })).toBe(2);
    expect(sample(text, "agent_cache_lookups_total", { agent_result: "hit", agent_cache_tier: "l1" })).toBe(2);
    // Two run rows and their events, written; none waiting, none dropped.
    expect(sample(text, "agent_run_store_writes_total", { agent_outcome: "ok" })).toBeGreaterThanOrEqual(2 + 2 * 5);
    expect(sample(text, "agent_run_store_queued")).toBe(0);
  });
});

describe("capacity", () => {
  it("queues runs beyond the limit, shows them to the autoscaler, and refuses more with RESOURCE_EXHAUSTED", async () => {
    svc = await startTestService(
      { AGENT_MAX_CONCURRENT_RUNS: "1", AGENT_MAX_QUEUED_RUNS: "1", AGENT_CACHE: "off" },
      { simulator: { faults: [{ kind: "hang", times: 1 }] } },
    );
    // What the service answers, without the SDK's retries on top.
    const client = createAgentClient({ baseUrl: svc.url, retries: 0 });
    const first = new AbortController();
    try {
      const requested = once(svc.simulator.events, "request");
      const running = client.execute("Hello there", { signal: first.signal }).catch((e: unknown) => e);
      await requested;
      const queued = client.execute("Hello again");
      const url = svc.service.metricsUrl;
      await expect.poll(async () => sample(await scrape(url), "agent_runs_queued")).toBe(1);
      expect(sample(await scrape(url), "agent_runs_in_flight")).toBe(1);

      const refused = (await client.execute("One more").catch((e: unknown) => e)) as AgentServiceError;
      expect(refused).toBeInstanceOf(AgentServiceError);
      expect(refused.code).toBe(Code.ResourceExhausted);
      expect(refused.reason).toBe("SERVER_AT_CAPACITY");
      expect(refused.message).toMatch(/at capacity \(1 runs in flight, 1 waiting\); retry with backoff/);
      expect(refused.findDetails(ErrorDetailSchema)[0]?.retryAfter?.seconds).toBe(1n);

      // The hung run goes away; the queued one gets its slot and finishes.
      first.abort();
      await running;
      expect((await queued).output).not.toBe("");
    } finally {
      client.close();
    }
  });
});
