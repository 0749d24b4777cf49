import type { JsonObject, PromptKind, PromptMessageTemplate, PromptModelSettings } from "./prompt-content.js";
import type { DeclaredPrompt } from "./prompts-file.js";

/**
 * A prompt version's definition as a deployment writes it: the fields of an
 * `AGENT_PROMPTS_FILE` entry other than `name`, `note` and `activate`. It is
 * checked when it is registered (variables, tools, limits, output schema;
 * see the README's "Prompts"), and becomes a `PromptContent` with its
 * defaults filled in; a `PromptContent`, such as `defaultPromptContent`, is a
 * valid definition too.
 */
export interface PromptDefinition {
  /** `agent` runs the tool-calling loop; `chain` is one model call with no tools. Default `agent`. */
  readonly kind?: PromptKind;
  /** At least one, at most 32: LangChain f-string templates (`{name}` is a variable, `{{` a brace). */
  readonly messages: readonly PromptMessageTemplate[];
  /** Variables a run must give values for, other than the reserved `input`. Default none. */
  readonly inputVariables?: readonly string[];
  /** Model settings for every model call of the version's runs. Default the deployment's. */
  readonly model?: PromptModelSettings;
  /** Tools an agent may call, by name, each a registered tool. Default (empty): every registered tool. */
  readonly tools?: readonly string[];
  /** A JSON Schema (draft 2020-12, root `"type": "object"`) the final answer must validate against. Default none (free text). */
  readonly outputSchema?: JsonObject;
}

/**
 * A prompt a deployment gives the service in code
 * (`AgentServiceRuntimeOptions.prompts`): an `AGENT_PROMPTS_FILE` entry as an
 * object. Start-up registers it and, unless `activate` is false, activates
 * it, idempotently, the same way as the file's entries.
 */
export interface PromptDeclaration extends PromptDefinition {
  /** What callers pass as `prompt`: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter. */
  readonly name: string;
  /** Why this version exists, recorded with its registration. Default empty. */
  readonly note?: string;
  /** Whether start-up activates this version. Default true: the code says which version runs. */
  readonly activate?: boolean;
}

/**
 * The declarations as the prompts start-up registers, in order. Throws an
 * Error naming the prompt declared twice (each name once, with the version
 * to run); the definitions themselves are checked when registered.
 */
export function declaredPromptsOf(declarations: readonly PromptDeclaration[]): DeclaredPrompt[] {
  const names = new Set<string>();
  return declarations.map(({ name, note, activate, ...definition }) => {
    if (names.has(name)) {
      throw new Error(`prompt ${name} is declared twice; declare each prompt once, with the version to run`);
    }
    names.add(name);
    return { name, definition, note: note ?? "", activate: activate ?? true };
  });
}
