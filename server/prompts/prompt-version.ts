import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { JsonObject, PromptContent, PromptModelSettings } from "./prompt-content.js";
import { promptVersionId } from "./prompt-hash.js";

/** The prompt a run uses, its variables filled in: what the executor starts a run from. */
export interface PromptVersion {
  /** `name@version`: the version id runs report and record. */
  readonly id: string;
  /** An agent calls tools in a loop; a chain is offered none, so its first answer is final. */
  readonly kind: "agent" | "chain";
  /** The tools an agent may call, by name; empty means every registered tool. */
  readonly tools: readonly string[];
  /** The model settings the version asks for; unset ones are the deployment's. */
  readonly model: PromptModelSettings;
  /** A JSON Schema (draft 2020-12) the final answer must validate against; unset means free text. */
  readonly outputSchema?: JsonObject;
  /** The messages a new run sends first: the templates filled in, the thread's earlier turns and the input in their places. */
  messages(input: string, history: readonly BaseMessage[]): BaseMessage[];
}

/** The content of the agent prompt the service registers as `default` when it starts. */
export const defaultPromptContent: PromptContent = Object.freeze({
  kind: "agent",
  messages: Object.freeze([
    Object.freeze({
      role: "system",
      template: [
        "You are a careful assistant working for an internal service.",
        "Use the tools you are given whenever they can answer part of the task: arithmetic with calculator,",
        "the current time with current_time, product stock with inventory_lookup. Never guess a value a tool can give.",
        "If a tool returns an error, correct the call and try again, or explain what went wrong.",
        "Answer concisely with the final result.",
      ].join(" "),
    }),
  ]),
  inputVariables: Object.freeze([]),
  model: Object.freeze({}),
  tools: Object.freeze([]),
} satisfies PromptContent);

/** The name the default prompt is registered under. */
export const defaultPromptName = "default";

/**
 * A prompt version of one system message and no variables: a run sends the
 * system message, the thread's earlier turns, then the input. For tests and
 * for a service without a catalog.
 */
export function createPromptVersion(name: string, system: string): PromptVersion {
  const content: PromptContent = { kind: "agent", messages: [{ role: "system", template: system }], inputVariables: [], model: {}, tools: [] };
  return Object.freeze({
    id: `${name}@${promptVersionId(content)}`,
    kind: "agent",
    tools: [],
    model: {},
    messages: (input: string, history: readonly BaseMessage[]) => [new SystemMessage(system), ...history, new HumanMessage(input)],
  });
}

/** The default prompt as a plain version (see {@link createPromptVersion}). */
export const defaultPrompt: PromptVersion = createPromptVersion(defaultPromptName, defaultPromptContent.messages[0]?.template ?? "");
