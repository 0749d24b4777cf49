import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, createSqlPromptStore, type PromptStore, type PromptVersionRow, type SqlDatabase } from "./index.js";
import { uniqueId } from "./testing/run-fixtures.js";
import { storeEngines } from "./testing/engines.js";

let clock = Date.UTC(2026, 0, 1);

function versionRow(name: string, version: string, fields: Partial<PromptVersionRow> = {}): PromptVersionRow {
  clock += 1_000;
  return { name, version, content: `{"v":"${version}"}`, author: "admin-1", note: `note ${version}`, createdAt: new Date(clock), ...fields };
}

describe.each(storeEngines)("prompt store on $name", (engine) => {
  let store: PromptStore;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    let db: SqlDatabase;
    ({ db, dispose } = await engine.open());
    await applyMigrations(db);
    store = createSqlPromptStore(db);
  });
  afterAll(() => dispose());

  it("activates a prompt's first version, and later ones only when asked", async () => {
    const name = uniqueId("p");
    const before = await store.promptsGeneration();
    const first = await store.registerPromptVersion(versionRow(name, "a1"), false, "admin-1");
    expect(first).toMatchObject({ created: true, activation: { kind: "activated", previousVersion: undefined } });
    const second = await store.registerPromptVersion(versionRow(name, "b2"), false, "admin-1");
    expect(second).toMatchObject({ created: true, activation: undefined });
    const third = await store.registerPromptVersion(versionRow(name, "c3"), true, "admin-2");
    expect(third.activation).toMatchObject({ kind: "activated", previousVersion: "a1", activation: { version: "c3", activatedBy: "admin-2" } });
    expect(await store.promptsGeneration()).toBe(before + 2);
    const active = await store.activePrompts();
    expect(active.prompts.find((row) => row.name === name)?.version).toBe("c3");
    expect(active.generation).toBe(before + 2);
  });

  it("registers the same content once: the second registration returns the first row and changes nothing", async () => {
    const name = uniqueId("p");
    const original = await store.registerPromptVersion(versionRow(name, "same"), false, "admin-1");
    const generation = await store.promptsGeneration();
    const again = await store.registerPromptVersion(versionRow(name, "same", { author: "admin-2", note: "again" }), true, "admin-2");
    expect(again.created).toBe(false);
    expect(again.row).toEqual(original.row);
    expect(again.activation).toBeUndefined();
    expect(await store.promptsGeneration()).toBe(generation);
  });

  it("activates an older version (a rollback), keeps the history newest first, and does nothing for the active one", async () => {
    const name = uniqueId("p");
    await store.registerPromptVersion(versionRow(name, "v1"), false, "admin-1");
    await store.registerPromptVersion(versionRow(name, "v2"), true, "admin-1");
    const rollback = await store.activatePromptVersion({ name, version: "v1", activatedBy: "admin-3", activatedAt: new Date(clock), note: "v2 regressed" });
    expect(rollback).toMatchObject({ kind: "activated", previousVersion: "v2", activation: { version: "v1", note: "v2 regressed" } });
    expect(await store.activatePromptVersion({ name, version: "v1", activatedBy: "admin-3", activatedAt: new Date(clock), note: "" })).toEqual({ kind: "unchanged" });
    expect(await store.activatePromptVersion({ name, version: "nope", activatedBy: "admin-3", activatedAt: new Date(clock), note: "" })).toEqual({ kind: "not_found" });
    const history = await store.listPromptActivations(name, 10);
    expect(history.map((row) => row.version)).toEqual(["v1", "v2", "v1"]);
    expect(history.map((row) => row.seq)).toEqual([...history.map((row) => row.seq)].sort((a, b) => b - a));
    expect((await store.listPromptVersions(name)).map((row) => row.version)).toEqual(["v2", "v1"]);
    expect(await store.getPromptVersion(name, "v2")).toMatchObject({ name, version: "v2", content: '{"v":"v2"}' });
    expect(await store.getPromptVersion(name, "v3")).toBeUndefined();
  });

  it("serialises concurrent activations: each records the version it replaced, and the seqs have no gaps", async () => {
    const name = uniqueId("p");
    const versions = ["x1", "x2", "x3", "x4", "x5", "x6"];
    for (const version of versions) {
      await store.registerPromptVersion(versionRow(name, version), false, "admin-1");
    }
    const before = await store.promptsGeneration();
    const outcomes = await Promise.all(
      versions.slice(1).map((version) => store.activatePromptVersion({ name, version, activatedBy: "admin-1", activatedAt: new Date(clock), note: "" })),
    );
    const activated = outcomes.flatMap((outcome) => (outcome.kind === "activated" ? [outcome] : []));
    expect(activated).toHaveLength(5);
    const bySeq = [...activated].sort((a, b) => a.activation.seq - b.activation.seq);
    expect(bySeq.map((outcome) => outcome.activation.seq)).toEqual([1, 2, 3, 4, 5].map((step) => before + step));
    // Each replaced the one activated just before it.
    expect(bySeq.map((outcome) => outcome.previousVersion)).toEqual(["x1", ...bySeq.slice(0, -1).map((outcome) => outcome.activation.version)]);
    expect((await store.activePrompts()).prompts.find((row) => row.name === name)?.version).toBe(bySeq.at(-1)?.activation.version);
  });
});
