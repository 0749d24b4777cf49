import { readFileSync } from "node:fs";
import { z } from "zod";
import type { LimitName } from "../errors/limit-exceeded.js";

/** One principal's limits; 0 means none. */
export type PrincipalLimits = Readonly<Record<LimitName, number>>;

/**
 * Who gets which limits: defaults per role (a principal with `admin` gets the
 * admin defaults, every other the caller defaults), then a principal's own
 * overrides, limit by limit.
 */
export interface LimitsPolicy {
  readonly roles: Readonly<Record<"caller" | "admin", PrincipalLimits>>;
  readonly principals: Readonly<Record<string, Partial<PrincipalLimits>>>;
}

const unlimited: PrincipalLimits = Object.freeze({ requests_per_minute: 0, concurrent_runs: 0, tokens_per_day: 0, cost_usd_per_day: 0 });

const limitsSchema = z.strictObject({
  requests_per_minute: z.int().min(0).optional(),
  concurrent_runs: z.int().min(0).optional(),
  tokens_per_day: z.int().min(0).optional(),
  cost_usd_per_day: z.number().min(0).optional(),
});

const fileSchema = z.strictObject({
  roles: z.strictObject({ caller: limitsSchema.optional(), admin: limitsSchema.optional() }).optional(),
  principals: z.record(z.string().regex(/^[\x21-\x7e]{1,128}$/, "must be a principal's name"), limitsSchema).optional(),
});

/** Reads `AGENT_LIMITS_FILE` over the environment's caller defaults; throws an Error naming the file and the entry. */
export function limitsPolicyOf(callerDefaults: PrincipalLimits, file: string | undefined): LimitsPolicy {
  if (file === undefined) {
    return Object.freeze({ roles: Object.freeze({ caller: callerDefaults, admin: unlimited }), principals: Object.freeze({}) });
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === undefined ? `${file} is not JSON` : `cannot read ${file} (${code})`, { cause: err });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "the file"}: ${messageOf(issue)}`).join("; ")}`);
  }
  const { roles = {}, principals = {} } = parsed.data;
  return Object.freeze({
    roles: Object.freeze({
      caller: Object.freeze({ ...callerDefaults, ...definedOf(roles.caller) }),
      admin: Object.freeze({ ...unlimited, ...definedOf(roles.admin) }),
    }),
    principals: Object.freeze(Object.fromEntries(Object.entries(principals).map(([name, limits]) => [name, Object.freeze(definedOf(limits))]))),
  });
}

/** An issue's message; for a bad record key, the key rule's own (zod nests it). */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key" && issue.issues.length > 0) {
    return issue.issues.map((nested) => nested.message).join(", ");
  }
  return issue.message;
}

function definedOf(limits: z.infer<typeof limitsSchema> | undefined): Partial<PrincipalLimits> {
  return Object.fromEntries(Object.entries(limits ?? {}).filter(([, value]) => value !== undefined)) as Partial<PrincipalLimits>;
}

/** The limits of a principal with `roles`. */
export function limitsOf(policy: LimitsPolicy, principal: { readonly id: string; readonly roles: readonly string[] }): PrincipalLimits {
  const base = principal.roles.includes("admin") ? policy.roles.admin : policy.roles.caller;
  const own = policy.principals[principal.id];
  return own === undefined ? base : { ...base, ...own };
}
