import { describe, expect, it } from "vitest";
import { checkRunFields, checkRunListFilters, type RequestLimits, type RunFields } from "./request-rules.js";
import type { Duration } from "@bufbuild/protobuf/wkt";

const limits: RequestLimits = {
  maxInputChars: 100,
  maxIterations: 5,
  maxIterationsCap: 10,
  maxExecutionTimeMs: 30_000,
  maxExecutionTimeCapMs: 60_000,
  maxRunCostUsd: 0.5,
};

const duration = (seconds: bigint, nanos: number) => ({ seconds, nanos }) as Duration;
const fields = (maxExecutionTime?: Duration, maxCostUsd = 0): RunFields => ({ input: "hi", maxIterations: 0, maxExecutionTime, bypassCache: false, idempotencyKey: "", threadId: "", maxCostUsd });

describe("max_execution_time", () => {
  it.each([
    { name: "unset", time: undefined },
    { name: "1.5s", time: duration(1n, 500_000_000) },
    { name: "the largest nanos", time: duration(0n, 999_999_999) },
    { name: "exactly the cap", time: duration(60n, 0) },
  ])("accepts $name", ({ time }) => {
    expect(checkRunFields(fields(time), limits)).toEqual([]);
  });

  it.each([
    // The defect: 2e9 nanos (two seconds) fits an int32 and was accepted.
    { name: "nanos of 2e9", time: duration(1n, 2_000_000_000), message: /^nanos must be at most 999,999,999 .*got 2000000000/ },
    { name: "nanos of 1e9", time: duration(0n, 1_000_000_000), message: /^nanos must be at most 999,999,999/ },
    { name: "negative seconds", time: duration(-1n, 0), message: /^must be a positive duration/ },
    { name: "negative nanos", time: duration(1n, -1), message: /^must be a positive duration/ },
    { name: "zero", time: duration(0n, 0), message: /^must be a positive duration/ },
    { name: "above the cap", time: duration(60n, 1_000_000), message: /^must be at most 60s \(the server cap\)/ },
  ])("refuses $name, naming the field", ({ time, message }) => {
    const violations = checkRunFields(fields(time), limits);
    expect(violations.map((v) => v.field)).toEqual(["max_execution_time"]);
    expect(violations[0]?.description).toMatch(message);
  });
});

describe("idempotency_key and thread_id", () => {
  const withIds = (idempotencyKey: string, threadId: string): RunFields => ({ ...fields(), idempotencyKey, threadId });

  it.each([
    { name: "empty", value: "" },
    { name: "a UUID", value: "0b6f7c1e-9a8d-4a3b-8f61-2f5c3c1b7d90" },
    { name: "128 printable characters", value: "k".repeat(127) + "~" },
  ])("accepts $name", ({ value }) => {
    expect(checkRunFields(withIds(value, value), limits)).toEqual([]);
  });

  it.each([
    { name: "129 characters", value: "k".repeat(129), message: /^must be at most 128 characters, got 129$/ },
    { name: "a space", value: "my key", message: /^must hold only printable ASCII/ },
    { name: "a newline", value: "key\n", message: /^must hold only printable ASCII/ },
    { name: "non-ASCII", value: "clé", message: /^must hold only printable ASCII/ },
  ])("refuses $name in either, naming each field", ({ value, message }) => {
    const violations = checkRunFields(withIds(value, value), limits);
    expect(violations.map((v) => v.field)).toEqual(["idempotency_key", "thread_id"]);
    expect(violations.every((v) => message.test(v.description))).toBe(true);
  });
});

describe("max_cost_usd", () => {
  it("may lower the server's run cost budget, never raise it", () => {
    expect(checkRunFields(fields(undefined, 0.25), limits)).toEqual([]);
    expect(checkRunFields(fields(undefined, 0), limits)).toEqual([]);
    const [raised] = checkRunFields(fields(undefined, 0.75), limits);
    expect(raised?.field).toBe("max_cost_usd");
    expect(raised?.description).toContain("at most 0.5 (the server cap");
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("rejects %s", (cost) => {
    expect(checkRunFields(fields(undefined, cost), limits).map((v) => v.field)).toEqual(["max_cost_usd"]);
  });

  it("takes any budget when the server sets none", () => {
    expect(checkRunFields(fields(undefined, 1_000), { ...limits, maxRunCostUsd: 0 })).toEqual([]);
  });
});

describe("ListRuns filters", () => {
  const none = { prompt: "", promptVersion: "", model: "", inputContains: "" };
  const fieldsOf = (filters: Partial<typeof none>) => checkRunListFilters({ ...none, ...filters }).map((v) => v.field);

  it.each([
    none,
    { ...none, prompt: "support.v2-bot_1" },
    { ...none, promptVersion: "default@3f9c0a1b2c3d4e5f" },
    { ...none, promptVersion: "support@1" },
    { ...none, model: "gpt-4o-mini" },
    { ...none, inputContains: "x".repeat(200) },
    // 200 characters that are 400 UTF-16 units.
    { ...none, inputContains: "😀".repeat(200) },
    { ...none, inputContains: "100% of the_total" },
  ])("accepts %j", (filters) => {
    expect(checkRunListFilters(filters)).toEqual([]);
  });

  it.each([
    { filters: { prompt: "support@1" }, field: "prompt" },
    { filters: { prompt: "1st" }, field: "prompt" },
    { filters: { promptVersion: "support" }, field: "prompt_version" },
    { filters: { promptVersion: "@3f9c" }, field: "prompt_version" },
    { filters: { promptVersion: "support@" }, field: "prompt_version" },
    { filters: { promptVersion: "support@1@2" }, field: "prompt_version" },
    { filters: { model: "m".repeat(257) }, field: "model" },
    { filters: { inputContains: "x".repeat(201) }, field: "input_contains" },
  ])("refuses $filters, naming $field", ({ filters, field }) => {
    expect(fieldsOf(filters)).toEqual([field]);
  });

  it("says how long input_contains may be and how long it was", () => {
    expect(checkRunListFilters({ ...none, inputContains: "x".repeat(250) })[0]?.description).toBe("must be at most 200 characters, got 250");
  });

  it("returns every violation at once", () => {
    expect(fieldsOf({ prompt: "-", promptVersion: "x", inputContains: "y".repeat(300) })).toEqual(["prompt", "prompt_version", "input_contains"]);
  });
});
