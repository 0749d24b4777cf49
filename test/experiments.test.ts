import { create } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentServiceError, createAgentClient, type AgentClient } from "../client/index.js";
import type { ExecuteResponse } from "../gen/agent/v1/agent_service_pb.js";
import { AuditAction, AuditService } from "../gen/agent/v1/audit_service_pb.js";
import {
  CanaryMetric,
  ExperimentStatus,
  PromptContentSchema,
  PromptKind,
  PromptRole,
  PromptService,
  type PromptContent,
} from "../gen/agent/v1/prompt_service_pb.js";
import { RunService } from "../gen/agent/v1/run_service_pb.js";
import { createTestDatabase } from "./support/postgres.js";
import { bearer } from "./support/bearer.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Prompt experiments through the real server: a 50/50 split over 80
// principals, sticky; results that add up to the run records; feedback; and a
// guarded rollout whose canary fails half its runs, rolled back by the server.

const newKey = () => randomBytes(24).toString("base64url");
const digest = (key: string) => createHash("sha256").update(key).digest("hex");
const adminKey = newKey();
const callers = Array.from({ length: 80 }, (_, i) => ({ principal: `svc-${String(i).padStart(2, "0")}`, key: newKey() }));

let dir: string;
let keysFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-experiments-"));
  keysFile = join(dir, "keys.json");
  await writeFile(
    keysFile,
    JSON.stringify([
      { principal: "release-bot", roles: ["admin"], sha256: digest(adminKey) },
      ...callers.map(({ principal, key }) => ({ principal, roles: ["caller"], sha256: digest(key) })),
    ]),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function admin<S extends typeof PromptService | typeof AuditService | typeof RunService>(svc: TestService, service: S): Client<S> {
  return createClient(service, createGrpcTransport({ baseUrl: svc.url, interceptors: [bearer(adminKey)] }));
}

function prompt(system: string): PromptContent {
  return create(PromptContentSchema, { kind: PromptKind.AGENT, messages: [{ role: PromptRole.SYSTEM, template: system }] });
}

/** Runs `count` tasks, `concurrency` at a time. */
async function inBatches<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += concurrency) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, count - start) }, (_, i) => task(start + i)))));
  }
  return results;
}

/** Where the service keeps its runs and experiments: embedded PGlite (in memory), or the real PostgreSQL. */
const stores = [
  { name: "embedded PGlite", open: async () => ({ env: {}, dispose: async () => undefined }) },
  {
    name: "PostgreSQL",
    async open() {
      const database = await createTestDatabase("agent_experiments");
      return { env: { DATABASE_URL: database.url }, dispose: () => database.drop() };
    },
  },
];

describe.each(stores)("an A/B experiment on $name", (where) => {
  let svc: TestService;
  let dispose: () => Promise<void>;
  const clients = new Map<string, AgentClient>();

  beforeAll(async () => {
    const opened = await where.open();
    dispose = opened.dispose;
    svc = await startTestService({ AGENT_API_KEYS_FILE: keysFile, AGENT_CACHE: "off", ...opened.env });
    for (const { principal, key } of callers) {
      clients.set(principal, createAgentClient({ baseUrl: svc.url, token: key, retries: 0, timeoutMs: 30_000 }));
    }
  });
  afterAll(async () => {
    clients.forEach((client) => client.close());
    await svc.close();
    await dispose();
  });

  it("splits 400 runs from 80 principals 50/50, each principal always on one arm, with results that add up to the runs", async () => {
    const prompts = admin(svc, PromptService);
    const v1 = await prompts.registerPrompt({ name: "greeter", content: prompt("You greet people. Version one.") });
    const v2 = await prompts.registerPrompt({ name: "greeter", content: prompt("You greet people warmly. Version two.") });
    const { experiment } = await prompts.startExperiment({
      prompt: "greeter",
      arms: [
        { name: "control", version: v1.version?.version ?? "", weight: 1 },
        { name: "warm", version: v2.version?.version ?? "", weight: 1 },
      ],
      note: "is warmer better?",
    });
    expect(experiment?.status).toBe(ExperimentStatus.RUNNING);
    const second = await prompts
      .startExperiment({ prompt: "greeter", arms: [{ name: "a", version: v1.version?.version ?? "", weight: 1 }, { name: "b", version: v2.version?.version ?? "", weight: 1 }] })
      .catch((err: unknown) => err);
    expect(String(second)).toContain(`already has a running experiment, ${experiment?.experimentId}`);

    const answers = await inBatches(400, 20, async (i) => {
      const caller = callers[i % callers.length] as (typeof callers)[number];
      const answer = await (clients.get(caller.principal) as AgentClient).execute(`What is ${i} + 1?`, { prompt: "greeter" });
      return { principal: caller.principal, answer };
    });
    const armOf = new Map<string, string>();
    for (const { principal, answer } of answers) {
      expect(answer.experimentId).toBe(experiment?.experimentId);
      expect(answer.promptVersion).toBe(answer.experimentArm === "control" ? v1.version?.id : v2.version?.id);
      // Sticky: a principal never flips arms.
      expect(armOf.get(principal) ?? answer.experimentArm).toBe(answer.experimentArm);
      armOf.set(principal, answer.experimentArm);
    }
    // Principals per arm ~ Binomial(80, 1/2): within four standard deviations (±17.9) of 40.
    const onControl = [...armOf.values()].filter((arm) => arm === "control").length;
    expect(Math.abs(onControl - 40)).toBeLessThanOrEqual(17);

    // Feedback on some runs of each arm.
    const runs = admin(svc, RunService);
    const scored = answers.slice(0, 40);
    for (const { principal, answer } of scored) {
      const caller = callers.find((c) => c.principal === principal) as (typeof callers)[number];
      const own = createClient(RunService, createGrpcTransport({ baseUrl: svc.url, interceptors: [bearer(caller.key)] }));
      expect((await own.submitFeedback({ runId: answer.runId, score: answer.experimentArm === "warm" ? 5 : 3 })).first).toBe(true);
    }
    expect((await runs.submitFeedback({ runId: scored[0]?.answer.runId ?? "", score: 4 })).first).toBe(false);

    const byArm = (arm: string) => answers.filter(({ answer }) => answer.experimentArm === arm).map(({ answer }) => answer);
    const totalTokens = (list: ExecuteResponse[]) => list.reduce((sum, answer) => sum + (answer.usage?.totalTokens ?? 0), 0);
    // Runs are recorded behind their answers: read until all 400 are in.
    await expect
      .poll(async () => (await prompts.getExperimentResults({ experimentId: experiment?.experimentId ?? "" })).arms.reduce((sum, arm) => sum + Number(arm.runs), 0), {
        timeout: 15_000,
      })
      .toBe(400);
    const results = await prompts.getExperimentResults({ experimentId: experiment?.experimentId ?? "" });
    for (const arm of results.arms) {
      const mine = byArm(arm.arm);
      expect(Number(arm.runs)).toBe(mine.length);
      expect(Number(arm.successes)).toBe(mine.length);
      expect(Number(arm.tokens)).toBe(totalTokens(mine));
      expect(arm.costUsd).toBeCloseTo(mine.reduce((sum, answer) => sum + answer.costUsd, 0), 9);
    }
    const warm = results.arms.find((arm) => arm.arm === "warm");
    expect(warm?.meanFeedback).toBeGreaterThan(4);
    const comparison = results.comparisons[0];
    expect(comparison?.controlArm).toBe("control");
    expect(comparison?.successRate?.test).not.toBe("");
    expect(comparison?.statement).toMatch(/success rate/i);
    expect(results.confidence).toBe(0.95);

    const stopped = await prompts.stopExperiment({ experimentId: experiment?.experimentId ?? "", note: "enough" });
    expect(stopped.experiment?.status).toBe(ExperimentStatus.STOPPED);
    const after = await (clients.get("svc-00") as AgentClient).execute("What is 1 + 1?", { prompt: "greeter" });
    expect([after.experimentId, after.promptVersion]).toEqual(["", v1.version?.id]);
  }, 120_000);

  it("refuses a caller starting an experiment, and arms that are not versions of the prompt, naming them", async () => {
    const caller = createClient(PromptService, createGrpcTransport({ baseUrl: svc.url, interceptors: [bearer(callers[0]?.key ?? "")] }));
    const denied = await caller.startExperiment({ prompt: "greeter", arms: [] }).catch((err: unknown) => err);
    expect(String(denied)).toContain("permission_denied");
    const bad = await admin(svc, PromptService)
      .startExperiment({ prompt: "greeter", arms: [{ name: "control", version: "0123456789abcdef", weight: 1 }, { name: "x", version: "fedcba9876543210", weight: 1 }] })
      .catch((err: unknown) => err);
    expect(String(bad)).toContain('prompt "greeter" has no version "0123456789abcdef"');
  });
});

describe("a guarded rollout", () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(
      { AGENT_API_KEYS_FILE: keysFile, AGENT_CACHE: "off", AGENT_CANARY_CHECK_MS: "100" },
      // The canary's version makes the model refuse every other request it gets.
      { simulator: { faults: [{ kind: "status", status: 400, systemContains: "CANARY-7", every: 2 }] } },
    );
  });
  afterAll(() => svc.close());

  it("rolls back a canary that fails half its runs, audits the decision with its numbers, and sends later runs to the control", async () => {
    const prompts = admin(svc, PromptService);
    const control = await prompts.registerPrompt({ name: "checkout", content: prompt("You help with checkout.") });
    const canary = await prompts.registerPrompt({ name: "checkout", content: prompt("You help with checkout. CANARY-7") });
    const { experiment } = await prompts.startExperiment({
      prompt: "checkout",
      arms: [
        { name: "control", version: control.version?.version ?? "", weight: 1 },
        { name: "canary", version: canary.version?.version ?? "", weight: 1 },
      ],
      canary: { stopRules: [{ metric: CanaryMetric.SUCCESS_RATE, bound: 0.05 }], minRuns: 20, lookEveryRuns: 10, maxLooks: 10 },
    });
    const experimentId = experiment?.experimentId ?? "";
    const clients = callers.map(({ key }) => createAgentClient({ baseUrl: svc.url, token: key, retries: 0, timeoutMs: 30_000 }));
    let sent = 0;
    let canaryRuns = 0;
    const status = async () => (await prompts.listExperiments({ prompt: "checkout" })).experiments.find((e) => e.experimentId === experimentId)?.status;
    try {
      // Documented bound: a canary failing half its runs against a healthy control is rolled
      // back at the first look it can be (here 20 runs of each arm), a few looks at the most.
      while ((await status()) === ExperimentStatus.RUNNING && sent < 400) {
        await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            // Every principal in turn, so that both arms get runs as the split says.
            const client = clients[(sent + i) % clients.length] as AgentClient;
            const answer = await client.execute(`What is ${sent + i} * 2?`, { prompt: "checkout" }).catch((err: unknown) => err);
            if (answer instanceof AgentServiceError || (answer as ExecuteResponse).experimentArm === "canary") {
              canaryRuns += 1;
            }
          }),
        );
        sent += 20;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      await expect.poll(status, { timeout: 10_000 }).toBe(ExperimentStatus.ROLLED_BACK);
      expect(canaryRuns).toBeLessThanOrEqual(100);

      const ended = (await prompts.listExperiments({ prompt: "checkout" })).experiments.find((e) => e.experimentId === experimentId);
      expect(ended?.endedBy).toBe("canary-check");
      expect(ended?.endReason).toMatch(/^Roll back at look \d+/);
      const { events } = await admin(svc, AuditService).listAuditEvents({ principal: "canary-check", pageSize: 100 });
      const decision = events.find((event) => event.action === AuditAction.EXPERIMENT_ENDED && event.detail?.["experiment_id"] === experimentId);
      expect(decision?.detail?.["status"]).toBe("rolled_back");
      expect(String(decision?.detail?.["reason"])).toContain("success rate");

      // The control stayed active: every principal runs it now, the canary's too.
      const after = await Promise.all(clients.slice(0, 20).map((client) => client.execute("What is 2 * 2?", { prompt: "checkout" })));
      expect(new Set(after.map((answer) => answer.promptVersion))).toEqual(new Set([control.version?.id]));
      expect(after.every((answer) => answer.experimentId === "")).toBe(true);
    } finally {
      clients.forEach((client) => client.close());
    }
  }, 120_000);
});
