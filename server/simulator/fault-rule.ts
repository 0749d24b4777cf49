import { z } from "zod";

/**
 * The ways the simulator can misbehave on purpose, so that callers' resilience can be tested
 * against a real HTTP server.
 */
export type FaultKind =
  | "status"
  | "slow-first-token"
  | "hang"
  | "malformed-json"
  | "cut-stream"
  | "invalid-tool-arguments";

/**
 * One fault to inject into chat completion requests. The first rule that matches a request and
 * has uses left decides what goes wrong with it.
 */
export interface FaultRule {
  /** Only requests for this model are affected. Default: every model. */
  model?: string;
  /**
   * Only requests whose system message contains this text are affected, such as a marker in
   * one prompt version. Default: any request.
   */
  systemContains?: string;
  /**
   * Affects one matching request in every `every`, starting with the first: 2 fails half of
   * them, alternately. Requests passed over use none of `times`. Default: 1 (every one).
   */
  every?: number;
  /**
   * What goes wrong:
   * - `status`: an OpenAI-style error response with {@link FaultRule.status}.
   * - `slow-first-token`: the first token (or the JSON response) comes after {@link FaultRule.delayMs}.
   * - `hang`: no response at all until the client goes away.
   * - `malformed-json`: invalid JSON in the body (JSON mode) or in one SSE `data:` line.
   * - `cut-stream`: the connection is destroyed part way through the body.
   * - `invalid-tool-arguments`: tool call arguments are not valid JSON. Only requests whose turn
   *   calls a tool match this kind, so its uses are not spent on plain answers.
   */
  kind: FaultKind;
  /** HTTP status for `status` faults. Default: 503. */
  status?: number;
  /** For `status` faults: value of the `Retry-After` header, in seconds. Default: no header. */
  retryAfterSeconds?: number;
  /** For `status` faults: value of the `retry-after-ms` header (OpenAI's convention). Default: no header. */
  retryAfterMs?: number;
  /** For `slow-first-token` faults: how long to wait, in milliseconds. Default: 1000. */
  delayMs?: number;
  /** How many matching requests the rule affects; each one consumes a use. Default: unlimited. */
  times?: number;
  /**
   * How many matching requests pass untouched before the rule starts to apply, such as "fail
   * from the third call on". Skipped requests use none of `times`. Default: 0.
   */
  skip?: number;
}

const faultKindSchema = z.enum([
  "status",
  "slow-first-token",
  "hang",
  "malformed-json",
  "cut-stream",
  "invalid-tool-arguments",
]);

/**
 * Validates one {@link FaultRule}. Unknown keys are rejected so that a typo such as `time`
 * instead of `times` fails loudly instead of silently injecting an unlimited fault.
 */
export const faultRuleSchema = z.strictObject({
  model: z.string().min(1).optional(),
  systemContains: z.string().min(1).optional(),
  every: z.number().int().positive().optional(),
  kind: faultKindSchema,
  status: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  retryAfterMs: z.number().int().nonnegative().optional(),
  delayMs: z.number().int().nonnegative().optional(),
  times: z.number().int().positive().optional(),
  skip: z.number().int().nonnegative().optional(),
}) satisfies z.ZodType<FaultRule>;

/** Validates a list of {@link FaultRule}s, as accepted by `SIMULATOR_FAULTS` and `PUT /_simulator/faults`. */
export const faultRulesSchema = z.array(faultRuleSchema);
