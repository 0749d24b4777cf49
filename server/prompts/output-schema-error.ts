import { createErrorBrand } from "../errors/error-brand.js";
import { formatFieldPath, type FieldKey } from "./field-path.js";

const outputSchemaBrand = createErrorBrand<OutputSchemaError>("OutputSchemaError");

/** One reason a schema is refused: where in the schema, and what is wrong there. */
export interface OutputSchemaProblem {
  /** The keys from the schema's root to the offending value; empty for the schema as a whole. */
  readonly path: readonly FieldKey[];
  readonly message: string;
}

/**
 * A prompt's output schema is not a JSON Schema this service can check
 * answers against: it breaks the draft 2020-12 meta-schema, uses a keyword
 * the draft does not have (a typo such as `propertes`), names another draft,
 * or has a `$ref` that does not resolve within it.
 */
export class OutputSchemaError extends Error {
  override readonly name = "OutputSchemaError";

  constructor(
    /** At least one. */
    readonly problems: readonly OutputSchemaProblem[],
    options?: ErrorOptions,
  ) {
    super(`not a valid JSON Schema (draft 2020-12): ${describeSchemaProblems(problems, "schema")}`, options);
    outputSchemaBrand.mark(this);
  }
}

/** True when `value` is an {@link OutputSchemaError}, from any copy of this package. */
export const isOutputSchemaError = outputSchemaBrand.is;

/** The problems as one line, each path written after `root`: `root.properties.age.type: must be ...`. */
export function describeSchemaProblems(problems: readonly OutputSchemaProblem[], root: string): string {
  return problems.map((problem) => `${formatFieldPath(problem.path, root)}: ${problem.message}`).join("; ");
}
