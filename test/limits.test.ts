import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentServiceError, Code, StopReason, createAgentClient, type AgentClient, type StreamResponse } from "../client/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Per-principal limits and budgets through two real replicas that share the
// real Redis: what one principal may do holds across both, and another
// principal is unaffected.

const redisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
// Counters live in Redis for their window: principals of their own, per run of the suite.
const suffix = randomBytes(4).toString("hex");
const principals = { limited: `svc-limited-${suffix}`, other: `svc-other-${suffix}`, budgeted: `svc-budgeted-${suffix}` };
const keys = { limited: randomBytes(16).toString("hex"), other: randomBytes(16).toString("hex"), budgeted: randomBytes(16).toString("hex") };
const requestsPerMinute = 20;
const tokenBudget = 12_000;

let dir: string;
const replicas: TestService[] = [];
const clients: AgentClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-limits-"));
  const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");
  await writeFile(
    join(dir, "keys.json"),
    JSON.stringify(Object.entries(principals).map(([name, principal]) => ({ principal, roles: ["caller"], sha256: sha256(keys[name as keyof typeof keys]) }))),
  );
  await writeFile(
    join(dir, "limits.json"),
    JSON.stringify({
      principals: {
        [principals.limited]: { requests_per_minute: requestsPerMinute },
        [principals.budgeted]: { tokens_per_day: tokenBudget, concurrent_runs: 1_000 },
      },
    }),
  );
  const env = {
    AGENT_API_KEYS_FILE: join(dir, "keys.json"),
    AGENT_LIMITS_FILE: join(dir, "limits.json"),
    REDIS_URL: redisUrl,
    AGENT_CACHE: "off",
    AGENT_BUDGET_TURN_RESERVE_TOKENS: "64",
  };
  replicas.push(await startTestService(env), await startTestService(env));
});

afterAll(async () => {
  clients.splice(0).forEach((client) => client.close());
  await Promise.all(replicas.map((replica) => replica.close()));
  await rm(dir, { recursive: true, force: true });
});

function replica(index: number): TestService {
  const found = replicas[index];
  if (found === undefined) throw new Error(`no replica ${index}`);
  return found;
}

function client(replica: TestService, token: string): AgentClient {
  const made = createAgentClient({ baseUrl: replica.url, protocol: "grpc", timeoutMs: 30_000, retries: 0, token });
  clients.push(made);
  return made;
}

describe("requests per minute", () => {
  it("hold across replicas: the accepted calls of both add up to the limit, with a retry-after the window confirms", async () => {
    const [a, b] = [client(replica(0), keys.limited), client(replica(1), keys.limited)];
    const firstAt = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: 2 * requestsPerMinute }, (_, i) =>
        (i % 2 === 0 ? a : b).listRuns().then(
          () => undefined,
          (err: unknown) => err,
        ),
      ),
    );
    const refused = outcomes.filter((outcome) => outcome !== undefined) as AgentServiceError[];
    expect(refused.every((err) => err instanceof AgentServiceError && err.code === Code.ResourceExhausted && err.reason === "RATE_LIMITED")).toBe(true);
    expect(outcomes.length - refused.length).toBe(requestsPerMinute);
    const first = refused[0];
    if (first === undefined) throw new Error("nothing was refused");
    expect(first.rawMessage).toContain("requests_per_minute");
    // The window opened with the first call: a retry succeeds when it ends.
    const expected = 60_000 - (Date.now() - firstAt);
    expect(Math.abs((first.retryAfterMs ?? 0) - expected)).toBeLessThanOrEqual(1_000);
  });

  it("leave another principal alone", async () => {
    await expect(client(replica(1), keys.other).listRuns()).resolves.toBeDefined();
  });
});

describe("token budgets", () => {
  it("hold for fifty concurrent runs on two replicas: never more spent than the budget and one model call", async () => {
    const tokensOf = (events: StreamResponse[]) =>
      events.reduce((sum, e) => sum + (e.event.case === "modelCallFinished" ? (e.event.value.call?.usage?.totalTokens ?? 0) : 0), 0);
    const largestCall = { tokens: 0 };
    const runs = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const events: StreamResponse[] = [];
        const agent = client(replica(i % 2), keys.budgeted);
        const error = await (async () => {
          for await (const event of agent.stream("What is 17 * 23?", { bypassCache: true })) {
            events.push(event);
            if (event.event.case === "modelCallFinished") {
              largestCall.tokens = Math.max(largestCall.tokens, event.event.value.call?.usage?.totalTokens ?? 0);
            }
          }
        })().catch((e: unknown) => e);
        return { tokens: tokensOf(events), error };
      }),
    );
    const spent = runs.reduce((sum, run) => sum + run.tokens, 0);
    const refused = runs.filter((run) => run.error !== undefined);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThan(50);
    for (const { error } of refused) {
      expect([(error as AgentServiceError).code, (error as AgentServiceError).reason]).toEqual([Code.ResourceExhausted, "TOKEN_BUDGET_EXHAUSTED"]);
    }
    console.error(`token budget ${tokenBudget}: spent ${spent} by ${50 - refused.length} runs, ${refused.length} refused; largest call ${largestCall.tokens}`);
    expect(spent).toBeGreaterThan(tokenBudget / 2);
    expect(spent).toBeLessThanOrEqual(tokenBudget + largestCall.tokens);
  });
});

describe("a run's cost budget", () => {
  it("stops a run whose cost reached it before its next model call, and may be lowered but not raised", async () => {
    const svc = await startTestService({ AGENT_MAX_RUN_COST_USD: "0.5", AGENT_CACHE: "off" });
    replicas.push(svc);
    const agent = createAgentClient({ baseUrl: svc.url, protocol: "connect", timeoutMs: 30_000, retries: 0 });
    clients.push(agent);
    // The calculator task takes two model calls; the first already costs more than this budget.
    const stopped = await agent.execute("What is 17 * 23?", { maxCostUsd: 0.000_001 });
    expect(stopped.stopReason).toBe(StopReason.COST_LIMIT);
    expect(stopped.output).toBe("");
    expect(stopped.steps.filter((step) => step.kind.case === "modelCall")).toHaveLength(1);
    expect(stopped.costUsd).toBeGreaterThan(0.000_001);
    // Within the server's budget, the same task completes.
    expect((await agent.execute("What is 17 * 23?")).stopReason).toBe(StopReason.FINAL_ANSWER);
    const raised = await agent.execute("What is 17 * 23?", { maxCostUsd: 5 }).catch((e: unknown) => e);
    expect([(raised as AgentServiceError).code, (raised as AgentServiceError).fieldViolations[0]?.field]).toEqual([Code.InvalidArgument, "max_cost_usd"]);
  });
});
