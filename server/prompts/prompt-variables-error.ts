import { createErrorBrand } from "../errors/error-brand.js";

const promptVariablesBrand = createErrorBrand<PromptVariablesError>("PromptVariablesError");

/**
 * A run's variables do not match its prompt version's `inputVariables`: some
 * declared ones have no value, or values were given for names the version
 * does not declare. A caller's mistake (INVALID_ARGUMENT, reason
 * PROMPT_VARIABLES); the message names every variable concerned.
 */
export class PromptVariablesError extends Error {
  override readonly name = "PromptVariablesError";

  constructor(
    /** Declared variables with no value, sorted. */
    readonly missing: readonly string[],
    /** Names given a value that the version does not declare, sorted. */
    readonly unexpected: readonly string[],
    /** The variables the version declares, to say what is allowed. */
    readonly declared: readonly string[],
  ) {
    super(describeMismatch(missing, unexpected, declared));
    promptVariablesBrand.mark(this);
  }
}

/** True when `value` is a {@link PromptVariablesError}, from any copy of this package. */
export const isPromptVariablesError = promptVariablesBrand.is;

function describeMismatch(missing: readonly string[], unexpected: readonly string[], declared: readonly string[]): string {
  const problems: string[] = [];
  if (missing.length > 0) {
    problems.push(`missing a value for ${quotedList(missing)}`);
  }
  if (unexpected.length > 0) {
    problems.push(`${quotedList(unexpected)} ${unexpected.length === 1 ? "is" : "are"} not declared by the prompt version`);
  }
  const allowed = declared.length === 0 ? "it declares no variables" : `it declares ${quotedList(declared)}`;
  return `prompt variables: ${problems.join("; ")} (${allowed})`;
}

function quotedList(names: readonly string[]): string {
  return names.map((name) => JSON.stringify(name)).join(", ");
}
