import { createErrorBrand } from "../errors/error-brand.js";

const promptDefinitionBrand = createErrorBrand<PromptDefinitionError>("PromptDefinitionError");

/**
 * A prompt definition that cannot become a version: a template that does not
 * parse, a variable used but not declared, an unknown tool, a bad setting.
 * Raised when a prompt is registered (from a file at start-up or by an RPC,
 * then INVALID_ARGUMENT), so the message starts with the field and says what
 * to change, naming the variable or tool.
 */
export class PromptDefinitionError extends Error {
  override readonly name = "PromptDefinitionError";

  constructor(
    /** Where the problem is, as a path into the definition: `messages[1].template`, `inputVariables`, `tools`; empty for the definition as a whole. */
    readonly field: string,
    /** What is wrong and what to do, without the field (the message starts with it). */
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(field === "" ? problem : `${field}: ${problem}`, options);
    promptDefinitionBrand.mark(this);
  }
}

/** True when `value` is a {@link PromptDefinitionError}, from any copy of this package. */
export const isPromptDefinitionError = promptDefinitionBrand.is;

