import { createHash } from "node:crypto";

/** One immutable version of the agent's system prompt. */
export interface PromptVersion {
  /** Content-derived id, `name@hash`; the same text always has the same id. */
  readonly id: string;
  /** The system message the run starts with. */
  readonly system: string;
}

/** Creates a prompt version whose id is derived from its name and text. */
export function createPromptVersion(name: string, system: string): PromptVersion {
  const hash = createHash("sha256").update(system).digest("hex").slice(0, 12);
  return Object.freeze({ id: `${name}@${hash}`, system });
}

/** The prompt the service runs with until a deployment registers its own. */
export const defaultPrompt: PromptVersion = createPromptVersion(
  "default",
  [
    "You are a careful assistant working for an internal service.",
    "Use the tools you are given whenever they can answer part of the task: arithmetic with calculator,",
    "the current time with current_time, product stock with inventory_lookup. Never guess a value a tool can give.",
    "If a tool returns an error, correct the call and try again, or explain what went wrong.",
    "Answer concisely with the final result.",
  ].join(" "),
);
