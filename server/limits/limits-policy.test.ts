import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { limitsOf, limitsPolicyOf, type PrincipalLimits } from "./limits-policy.js";

// Who gets which limits: the environment's defaults for callers, none for
// admins unless the limits file says, a principal's own overrides limit by
// limit, and a limits file that is wrong refused with what is wrong in it.

const env: PrincipalLimits = { requests_per_minute: 120, concurrent_runs: 4, tokens_per_day: 50_000, cost_usd_per_day: 2.5 };
const unlimited: PrincipalLimits = { requests_per_minute: 0, concurrent_runs: 0, tokens_per_day: 0, cost_usd_per_day: 0 };
const caller = (id: string) => ({ id, roles: ["caller"] });
const admin = (id: string) => ({ id, roles: ["admin"] });

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-limits-policy-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A limits file with `content` (JSON of an object, or text as it is); resolves to its path. */
async function limitsFile(content: unknown): Promise<string> {
  files += 1;
  const path = join(dir, `limits-${files}.json`);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** The Error limitsPolicyOf throws for `file`; fails the test if it returns. */
function problemWith(file: string): Error {
  try {
    limitsPolicyOf(env, file);
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error(`${file} was accepted`);
}

describe("limitsPolicyOf without a file", () => {
  it("gives callers the environment's defaults and admins none", () => {
    const policy = limitsPolicyOf(env, undefined);
    expect(limitsOf(policy, caller("svc-orders"))).toEqual(env);
    expect(limitsOf(policy, admin("ops"))).toEqual(unlimited);
    // A principal with no role the policy knows is a caller.
    expect(limitsOf(policy, { id: "svc-other", roles: [] })).toEqual(env);
  });

  it("reads the caller defaults from the environment's variables", () => {
    const { policy } = loadConfig({
      AGENT_RATE_LIMIT_REQUESTS_PER_MINUTE: "120",
      AGENT_RATE_LIMIT_CONCURRENT_RUNS: "4",
      AGENT_BUDGET_TOKENS_PER_DAY: "50000",
      AGENT_BUDGET_COST_USD_PER_DAY: "2.5",
    }).limits;
    expect(limitsOf(policy, caller("svc-orders"))).toEqual(env);
    expect(limitsOf(policy, admin("ops"))).toEqual(unlimited);
  });

  it("has the documented defaults when the environment sets none", () => {
    const { policy } = loadConfig({}).limits;
    expect(limitsOf(policy, caller("svc-orders"))).toEqual({ requests_per_minute: 6_000, concurrent_runs: 64, tokens_per_day: 0, cost_usd_per_day: 0 });
  });
});

describe("limitsPolicyOf with a file", () => {
  it("overrides the role defaults limit by limit, keeping the environment's for the others", async () => {
    const policy = limitsPolicyOf(env, await limitsFile({ roles: { caller: { concurrent_runs: 8 } } }));
    expect(limitsOf(policy, caller("svc-orders"))).toEqual({ ...env, concurrent_runs: 8 });
    expect(limitsOf(policy, admin("ops"))).toEqual(unlimited);
  });

  it("limits admins only where the file says", async () => {
    const policy = limitsPolicyOf(env, await limitsFile({ roles: { admin: { requests_per_minute: 10_000 } } }));
    expect(limitsOf(policy, admin("ops"))).toEqual({ ...unlimited, requests_per_minute: 10_000 });
    expect(limitsOf(policy, caller("svc-orders"))).toEqual(env);
  });

  it("gives a principal its own limits over its role's, limit by limit, and no other principal", async () => {
    const policy = limitsPolicyOf(
      env,
      await limitsFile({
        roles: { caller: { tokens_per_day: 1_000 } },
        principals: { "svc-orders": { concurrent_runs: 2, cost_usd_per_day: 0.5 }, ops: { concurrent_runs: 3 }, "svc-batch": { requests_per_minute: 0 } },
      }),
    );
    expect(limitsOf(policy, caller("svc-orders"))).toEqual({ ...env, tokens_per_day: 1_000, concurrent_runs: 2, cost_usd_per_day: 0.5 });
    expect(limitsOf(policy, caller("svc-billing"))).toEqual({ ...env, tokens_per_day: 1_000 });
    // An override of an admin is on top of the admin defaults.
    expect(limitsOf(policy, admin("ops"))).toEqual({ ...unlimited, concurrent_runs: 3 });
    // 0 is an override too: no limit for that principal.
    expect(limitsOf(policy, caller("svc-batch"))).toEqual({ ...env, tokens_per_day: 1_000, requests_per_minute: 0 });
  });

  it("gives a principal with both roles the admin defaults", async () => {
    const policy = limitsPolicyOf(env, await limitsFile({ roles: { admin: { concurrent_runs: 100 } } }));
    expect(limitsOf(policy, { id: "ops", roles: ["caller", "admin"] })).toEqual({ ...unlimited, concurrent_runs: 100 });
    expect(limitsOf(policy, { id: "ops", roles: ["admin", "caller"] })).toEqual({ ...unlimited, concurrent_runs: 100 });
  });

  it("accepts an empty object: the defaults as without a file", async () => {
    const policy = limitsPolicyOf(env, await limitsFile({}));
    expect(limitsOf(policy, caller("svc-orders"))).toEqual(env);
    expect(limitsOf(policy, admin("ops"))).toEqual(unlimited);
  });
});

describe("a limits file that is wrong", () => {
  it("with an unknown field: names the file, the entry and the field", async () => {
    const file = await limitsFile({ principals: { "svc-orders": { request_per_minute: 5 } } });
    const { message } = problemWith(file);
    expect(message).toContain(file);
    expect(message).toContain("principals.svc-orders");
    expect(message).toContain("request_per_minute");
  });

  it("with an unknown top-level field: names the file and the field", async () => {
    const file = await limitsFile({ limits: { caller: {} } });
    const { message } = problemWith(file);
    expect(message).toContain(file);
    expect(message).toContain('"limits"');
  });

  it("with a negative number: names the file and the limit", async () => {
    const file = await limitsFile({ roles: { caller: { tokens_per_day: -1 } } });
    const { message } = problemWith(file);
    expect(message).toContain(file);
    expect(message).toContain("roles.caller.tokens_per_day");
    expect(message).toMatch(/>=\s*0/);
  });

  it("with a fractional count: names the file and the limit", async () => {
    const file = await limitsFile({ principals: { "svc-orders": { concurrent_runs: 1.5 } } });
    const { message } = problemWith(file);
    expect(message).toContain(file);
    expect(message).toContain("principals.svc-orders.concurrent_runs");
    expect(message).toContain("int");
  });

  it.each([
    { what: "a space", name: "svc orders" },
    { what: "no character", name: "" },
    { what: "more than 128 characters", name: "x".repeat(129) },
  ])("with a principal's name of $what: names the file and the entry", async ({ name }) => {
    const file = await limitsFile({ principals: { [name]: { concurrent_runs: 1 } } });
    const { message } = problemWith(file);
    expect(message).toContain(file);
    expect(message).toContain(`principals.${name}:`);
    expect(message).toContain("must be a principal's name");
  });

  it("that is not JSON: names the file and says so", async () => {
    const file = await limitsFile("{ principals: ");
    const err = problemWith(file);
    expect(err.message).toBe(`${file} is not JSON`);
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it("that is JSON but not an object: names the file", async () => {
    const file = await limitsFile("[]");
    const { message } = problemWith(file);
    expect(message).toContain(file);
    expect(message).toContain("expected object");
  });

  it("that is missing: names the file and the error", () => {
    const file = join(dir, "no-such-limits.json");
    const { message } = problemWith(file);
    expect(message).toBe(`cannot read ${file} (ENOENT)`);
  });

  it("fails the configuration, under AGENT_LIMITS_FILE", async () => {
    const file = await limitsFile({ roles: { caller: { concurrent_runs: -2 } } });
    expect(() => loadConfig({ AGENT_LIMITS_FILE: file })).toThrow(/AGENT_LIMITS_FILE: .*roles\.caller\.concurrent_runs/);
  });
});
