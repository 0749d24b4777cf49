import { ConnectError } from "@connectrpc/connect";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { ActivePrompts, ExperimentRow, ExperimentStore, PromptStore, PromptVersionRow } from "../store/index.js";
import { createPromptCatalog } from "./prompt-catalog.js";
import type { PromptContent } from "./prompt-content.js";
import { canonicalPromptJson, promptVersionId } from "./prompt-hash.js";

const logger = pino({ level: "silent" });

function row(name: string, system: string, inputVariables: string[] = []): PromptVersionRow {
  const content: PromptContent = { kind: "agent", messages: [{ role: "system", template: system }], inputVariables, model: {}, tools: [] };
  return { name, version: promptVersionId(content), content: canonicalPromptJson(content), author: "a", note: "", createdAt: new Date(0) };
}

/** A store whose active versions the test sets, counting every query. */
function fakeStore(initial: PromptVersionRow[]) {
  let active: ActivePrompts = { generation: 1, prompts: initial };
  const versions = new Map(initial.map((r) => [`${r.name}@${r.version}`, r]));
  const calls = { generation: 0, active: 0, get: 0 };
  let down = false;
  let experiments: ExperimentRow[] = [];
  const store: Pick<PromptStore, "activePrompts" | "promptsGeneration" | "getPromptVersion"> & Pick<ExperimentStore, "runningExperiments"> = {
    async runningExperiments() {
      if (down) throw new Error("connection refused");
      return experiments;
    },
    async promptsGeneration() {
      calls.generation += 1;
      if (down) throw new Error("connection refused");
      return active.generation;
    },
    async activePrompts() {
      calls.active += 1;
      if (down) throw new Error("connection refused");
      return active;
    },
    async getPromptVersion(name, version) {
      calls.get += 1;
      if (down) throw new Error("connection refused");
      return versions.get(`${name}@${version}`);
    },
  };
  return {
    store,
    calls,
    activate(rows: PromptVersionRow[]) {
      rows.forEach((r) => versions.set(`${r.name}@${r.version}`, r));
      active = { generation: active.generation + 1, prompts: rows };
    },
    add(r: PromptVersionRow) {
      versions.set(`${r.name}@${r.version}`, r);
    },
    setDown(value: boolean) {
      down = value;
    },
    startExperiment(experimentId: string, prompt: string, arms: { name: string; version: string; weight: number }[]) {
      experiments = [
        {
          experimentId,
          prompt,
          arms: JSON.stringify(arms),
          canary: "",
          canaryState: "",
          status: "running",
          note: "",
          startedBy: "a",
          startedAt: new Date(0),
          endedAt: undefined,
          endedBy: "",
          endReason: "",
        },
      ];
      active = { ...active, generation: active.generation + 1 };
    },
  };
}

describe("prompt catalog", () => {
  it("serves the active version from memory: resolving it queries nothing", async () => {
    const v1 = row("support", "You are v1.");
    const fake = fakeStore([v1]);
    const catalog = await createPromptCatalog({ store: fake.store, logger, refreshMs: 60_000 });
    const before = { ...fake.calls };
    for (let i = 0; i < 1_000; i++) {
      const resolved = catalog.resolve("support", "");
      expect(resolved).not.toBeInstanceOf(Promise);
    }
    expect(fake.calls).toEqual(before);
    catalog.close();
  });

  it("reloads the active versions only when the generation changed", async () => {
    const v1 = row("support", "You are v1.");
    const v2 = row("support", "You are v2.");
    const fake = fakeStore([v1]);
    const catalog = await createPromptCatalog({ store: fake.store, logger, refreshMs: 60_000 });
    await catalog.refresh();
    expect(fake.calls.active).toBe(1);
    fake.activate([v2]);
    await catalog.refresh();
    expect(fake.calls.active).toBe(2);
    expect((catalog.resolve("support", "") as { id: string }).id).toBe(`support@${v2.version}`);
    expect(catalog.generation()).toBe(2);
    catalog.close();
  });

  it("polls on its own, so an activation elsewhere is used within the refresh interval", async () => {
    vi.useFakeTimers();
    try {
      const v1 = row("support", "You are v1.");
      const v2 = row("support", "You are v2.");
      const fake = fakeStore([v1]);
      const catalog = await createPromptCatalog({ store: fake.store, logger, refreshMs: 500 });
      fake.activate([v2]);
      await vi.advanceTimersByTimeAsync(499);
      expect((catalog.resolve("support", "") as { id: string }).id).toBe(`support@${v1.version}`);
      await vi.advanceTimersByTimeAsync(1);
      expect((catalog.resolve("support", "") as { id: string }).id).toBe(`support@${v2.version}`);
      catalog.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps serving what it has while the store is down, and catches up when it is back", async () => {
    const v1 = row("support", "You are v1.");
    const v2 = row("support", "You are v2.");
    const fake = fakeStore([v1]);
    const outcomes: string[] = [];
    const catalog = await createPromptCatalog({ store: fake.store, logger, refreshMs: 60_000, onRefresh: ({ outcome }) => outcomes.push(outcome) });
    fake.setDown(true);
    await catalog.refresh();
    expect((catalog.resolve("support", "") as { id: string }).id).toBe(`support@${v1.version}`);
    fake.activate([v2]);
    fake.setDown(false);
    await catalog.refresh();
    expect((catalog.resolve("support", "") as { id: string }).id).toBe(`support@${v2.version}`);
    expect(outcomes).toEqual(["error", "reloaded"]);
    catalog.close();
  });

  it("reads a pinned version once, then serves it from memory", async () => {
    const v1 = row("support", "You are v1.");
    const v2 = row("support", "You are v2.");
    const fake = fakeStore([v2]);
    fake.add(v1);
    const catalog = await createPromptCatalog({ store: fake.store, logger, refreshMs: 60_000 });
    expect((await catalog.resolve("support", v1.version)).id).toBe(`support@${v1.version}`);
    expect(catalog.resolve("support", v1.version)).not.toBeInstanceOf(Promise);
    expect(fake.calls.get).toBe(1);
    // The active version, pinned, needs no read.
    expect(catalog.resolve("support", v2.version)).not.toBeInstanceOf(Promise);
    catalog.close();
  });

  it("names the prompt and the version it does not have, and the variables a run gets wrong", async () => {
    const fake = fakeStore([row("support", "Hi {tone}.", ["tone"])]);
    const catalog = await createPromptCatalog({ store: fake.store, logger, refreshMs: 60_000 });
    const reason = (err: unknown) => (err instanceof ConnectError ? [err.code, err.rawMessage] : err);
    expect(() => catalog.resolve("sales", "")).toThrow(/there is no prompt "sales"/);
    await expect(Promise.resolve().then(() => catalog.resolve("support", "0123456789abcdef"))).rejects.toThrow(
      'prompt "support" has no version "0123456789abcdef"',
    );
    const support = catalog.resolve("support", "") as Awaited<ReturnType<typeof catalog.resolve>>;
    let caught: unknown;
    try {
      support.bind({ mood: "x" });
    } catch (err) {
      caught = err;
    }
    expect(reason(caught)).toEqual([3, expect.stringMatching(/tone[\s\S]*mood|mood[\s\S]*tone/)]);
    const bound = support.bind({ tone: "{mood}" });
    expect(bound.messages("2 + 2?", []).map((m) => m.content)).toEqual(["Hi {mood}.", "2 + 2?"]);
    catalog.close();
  });

  it("assigns each principal one arm of a running experiment, the same every time, unless the run pins a version", async () => {
    const v1 = row("support", "You are v1.");
    const v2 = row("support", "You are v2.");
    const fake = fakeStore([v1]);
    fake.add(v2);
    const catalog = await createPromptCatalog({ store: fake.store, logger, refreshMs: 60_000 });
    fake.startExperiment("exp-1", "support", [
      { name: "control", version: v1.version, weight: 1 },
      { name: "treatment", version: v2.version, weight: 1 },
    ]);
    await catalog.refresh();
    const arms = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const principal = `svc-${i}`;
      const first = catalog.choose("support", "", principal) as Awaited<ReturnType<typeof catalog.choose>>;
      expect(first.experimentId).toBe("exp-1");
      expect(first.prompt.version).toBe(first.experimentArm === "control" ? v1.version : v2.version);
      for (let again = 0; again < 3; again++) {
        expect((catalog.choose("support", "", principal) as typeof first).experimentArm).toBe(first.experimentArm);
      }
      arms.set(first.experimentArm, (arms.get(first.experimentArm) ?? 0) + 1);
    }
    // 400 fair coin flips: within 4 standard deviations (10) of 200.
    expect(Math.abs((arms.get("control") ?? 0) - 200)).toBeLessThan(40);
    const pinned = (await catalog.choose("support", v1.version, "svc-1")) as Awaited<ReturnType<typeof catalog.choose>>;
    expect([pinned.experimentId, pinned.prompt.version]).toEqual(["", v1.version]);
    catalog.close();
  });

  it("turns a store that is down into UNAVAILABLE for a pinned version it has not read", async () => {
    const fake = fakeStore([row("support", "You are v1.")]);
    const catalog = await createPromptCatalog({ store: fake.store, logger, refreshMs: 60_000 });
    fake.setDown(true);
    await expect(Promise.resolve().then(() => catalog.resolve("support", "0123456789abcdef"))).rejects.toMatchObject({ code: 14 });
    catalog.close();
  });
});
