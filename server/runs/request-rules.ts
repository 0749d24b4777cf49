import { create } from "@bufbuild/protobuf";
import { durationMs, type Duration } from "@bufbuild/protobuf/wkt";
import { FieldViolationSchema, type FieldViolation } from "../../gen/agent/v1/errors_pb.js";

/** Largest `google.protobuf.Duration.nanos` of a non-negative duration. */
const maxNanos = 999_999_999;

/** Server limits the request rules enforce. */
export interface RequestLimits {
  readonly maxInputChars: number;
  readonly maxIterations: number;
  readonly maxIterationsCap: number;
  readonly maxExecutionTimeMs: number;
  readonly maxExecutionTimeCapMs: number;
  /** A run's cost budget when the caller sets none, and the highest it may set; 0 means none. */
  readonly maxRunCostUsd: number;
}

/** The fields that ExecuteRequest and StreamRequest share. */
export interface RunFields {
  readonly input: string;
  readonly maxIterations: number;
  readonly maxExecutionTime?: Duration | undefined;
  readonly bypassCache: boolean;
  /** Empty when none. */
  readonly idempotencyKey: string;
  /** Empty when none. */
  readonly threadId: string;
  /** 0 when the caller sets none. */
  readonly maxCostUsd: number;
  /** The prompt's name; empty or unset for the default prompt. */
  readonly prompt?: string;
  /** A pinned version of the prompt; empty or unset for its active one. */
  readonly promptVersion?: string;
  /** Values of the prompt's variables. */
  readonly variables?: Readonly<Record<string, string>>;
}

/** Most variables a request may give. */
export const maxVariables = 64;

const promptNamePattern = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const promptVersionPattern = /^[0-9a-f]{16}$/;
const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Longest idempotency key or thread id. */
export const maxIdChars = 128;

/** Printable ASCII, space excluded: what an id may hold, so that it logs and compares plainly. */
const idPattern = /^[\x21-\x7e]+$/;

/** A run's limits after defaults and caps. */
export interface ResolvedRunLimits {
  readonly maxIterations: number;
  readonly maxExecutionTimeMs: number;
  /** 0 means none. */
  readonly maxCostUsd: number;
}

/**
 * The rules of a run request, one per field, in one place. Returns every
 * violation, so a caller fixes all of them in one round trip.
 *
 * The rules live here rather than as protovalidate annotations because the
 * `buf/validate` definitions cannot be resolved without the Buf Schema
 * Registry, and the caps come from server configuration anyway.
 */
export function checkRunFields(fields: RunFields, limits: RequestLimits): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const violation = (field: string, description: string) =>
    violations.push(create(FieldViolationSchema, { field, description }));

  const variables = Object.entries(fields.variables ?? {});
  // The variables' values go to the model with the input, so they share its bound.
  const inputChars = variables.reduce((sum, [, value]) => sum + value.length, fields.input.length);
  if (fields.input.trim() === "") {
    violation("input", "must not be empty: send the task for the agent");
  } else if (inputChars > limits.maxInputChars) {
    violation(
      "input",
      variables.length === 0
        ? `must be at most ${limits.maxInputChars} characters, got ${fields.input.length}`
        : `must be at most ${limits.maxInputChars} characters with the variables' values, got ${inputChars}`,
    );
  }
  const prompt = fields.prompt ?? "";
  if (prompt !== "" && !promptNamePattern.test(prompt)) {
    violation("prompt", "must be a prompt name (1 to 64 letters, digits, '.', '_' or '-', starting with a letter), or empty for the default prompt");
  }
  const version = fields.promptVersion ?? "";
  if (version !== "" && !promptVersionPattern.test(version)) {
    violation("prompt_version", "must be a version id of 16 lowercase hex digits (PromptVersion.version), or empty for the active version");
  }
  if (variables.length > maxVariables) {
    violation("variables", `must have at most ${maxVariables} entries, got ${variables.length}`);
  }
  const badName = variables.find(([name]) => !variableNamePattern.test(name));
  if (badName !== undefined) {
    violation("variables", `${JSON.stringify(badName[0].slice(0, 80))} is not a variable name: letters, digits and '_', starting with a letter or '_'`);
  }

  if (fields.maxIterations > limits.maxIterationsCap) {
    violation(
      "max_iterations",
      `must be at most ${limits.maxIterationsCap} (the server cap), got ${fields.maxIterations}; 0 uses the default of ${limits.maxIterations}`,
    );
  }

  const time = fields.maxExecutionTime;
  if (time !== undefined) {
    const ms = durationMs(time);
    if (time.seconds < 0n || time.nanos < 0 || ms <= 0) {
      violation("max_execution_time", "must be a positive duration, or unset for the server default");
    } else if (time.nanos > maxNanos) {
      // JSON ("1.5s") cannot say this, but the binary format carries any
      // int32, and 2e9 nanos would silently add two seconds.
      violation(
        "max_execution_time",
        `nanos must be at most 999,999,999 (less than a second), got ${time.nanos}; put whole seconds in seconds`,
      );
    } else if (ms > limits.maxExecutionTimeCapMs) {
      violation(
        "max_execution_time",
        `must be at most ${limits.maxExecutionTimeCapMs / 1000}s (the server cap), got ${ms / 1000}s`,
      );
    }
  }
  const cost = fields.maxCostUsd;
  if (!Number.isFinite(cost) || cost < 0) {
    violation("max_cost_usd", "must be a positive number of US dollars, or 0 for the server default");
  } else if (limits.maxRunCostUsd > 0 && cost > limits.maxRunCostUsd) {
    violation("max_cost_usd", `must be at most ${limits.maxRunCostUsd} (the server cap, which a caller may lower but not raise), got ${cost}`);
  }
  for (const [field, value] of [
    ["idempotency_key", fields.idempotencyKey],
    ["thread_id", fields.threadId],
  ] as const) {
    if (value.length > maxIdChars) {
      violation(field, `must be at most ${maxIdChars} characters, got ${value.length}`);
    } else if (value !== "" && !idPattern.test(value)) {
      violation(field, "must hold only printable ASCII characters without spaces (such as a UUID), or be empty for none");
    }
  }
  return violations;
}

/** The filters of `ListRuns` beyond principal, status and time; each empty when unset. */
export interface RunListFilters {
  /** A prompt name: its runs, any version. */
  readonly prompt: string;
  /** A prompt version as `Run.prompt_version` shows it, `name@version`. */
  readonly promptVersion: string;
  readonly model: string;
  /** Text the run's input contains, ignoring case. */
  readonly inputContains: string;
}

/** Longest `input_contains` of ListRuns, in characters. */
export const maxInputContainsChars = 200;
/** Longest `model` of ListRuns: longer than any model name a provider uses. */
const maxModelChars = 256;
/** `name@version`, as runs record it: a prompt name, then the version (a content hash, as registered). */
const runPromptVersionPattern = /^[A-Za-z][A-Za-z0-9._-]{0,63}@[A-Za-z0-9._-]{1,64}$/;

/**
 * The rules of `ListRuns`'s filters by prompt, model and input, one per
 * field; every violation at once, as {@link checkRunFields} returns them.
 */
export function checkRunListFilters(filters: RunListFilters): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const violation = (field: string, description: string) =>
    violations.push(create(FieldViolationSchema, { field, description }));
  if (filters.prompt !== "" && !promptNamePattern.test(filters.prompt)) {
    violation("prompt", "must be a prompt name (1 to 64 letters, digits, '.', '_' or '-', starting with a letter), or empty for any prompt");
  }
  if (filters.promptVersion !== "" && !runPromptVersionPattern.test(filters.promptVersion)) {
    violation("prompt_version", "must be name@version, as Run.prompt_version shows it (such as default@3f9c0a1b2c3d4e5f), or empty for any version");
  }
  if (filters.model.length > maxModelChars) {
    violation("model", `must be at most ${maxModelChars} characters, got ${filters.model.length}`);
  }
  // Characters as a person counts them: an emoji is one, not two UTF-16 units.
  const inputChars = [...filters.inputContains].length;
  if (inputChars > maxInputContainsChars) {
    violation("input_contains", `must be at most ${maxInputContainsChars} characters, got ${inputChars}`);
  }
  return violations;
}

/** Applies server defaults to a request that passed {@link checkRunFields}. */
export function resolveRunLimits(fields: RunFields, limits: RequestLimits): ResolvedRunLimits {
  return {
    maxIterations: fields.maxIterations === 0 ? limits.maxIterations : fields.maxIterations,
    maxExecutionTimeMs:
      fields.maxExecutionTime === undefined ? limits.maxExecutionTimeMs : durationMs(fields.maxExecutionTime),
    maxCostUsd: fields.maxCostUsd === 0 ? limits.maxRunCostUsd : fields.maxCostUsd,
  };
}
