import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { z } from "zod";
import { keysOfPointer } from "../../../prompts/field-path.js";

/**
 * How arguments are checked against a tool's JSON Schema. Not strict: MCP servers write schemas
 * with keywords of later drafts and annotations of their own, which must not make a tool unusable.
 * `format` is not asserted: the server checks its own formats, and a model is better told what
 * the schema says than refused on a format this side may not know.
 */
const validatorOptions = {
  allErrors: true,
  strict: false,
  validateFormats: false,
  // A fresh instance per schema (see below): nothing to share, so no meta-schemas and no logger.
  meta: false,
  validateSchema: false,
  logger: false,
} as const;

/**
 * A zod schema that accepts exactly the JSON objects `jsonSchema` accepts, so a tool described by
 * JSON Schema (an MCP server's) goes through the tool runner's validation like any other: its
 * issues name the argument (`days: must be <= 7`, `city: Required`) and reach the model.
 *
 * Throws when the schema does not compile (a dangling `$ref`, say). Each schema gets its own Ajv
 * instance: a shared one would keep every schema compiled at each reconnection for the life of the
 * process.
 */
export function argumentsSchemaOf(jsonSchema: Readonly<Record<string, unknown>>): z.ZodType<Record<string, unknown>> {
  const validate: ValidateFunction = new Ajv(validatorOptions).compile(jsonSchema);
  return z.record(z.string(), z.unknown()).superRefine((value, context) => {
    if (validate(value)) {
      return;
    }
    for (const error of validate.errors ?? []) {
      const path = keysOfPointer(error.instancePath, value);
      const missing = error.keyword === "required" ? (error.params as { missingProperty?: unknown }).missingProperty : undefined;
      if (typeof missing === "string") {
        context.addIssue({ code: "custom", path: [...path, missing], message: "Required" });
      } else {
        context.addIssue({ code: "custom", path, message: messageOf(error) });
      }
    }
  });
}

/** Ajv's message, naming the value where Ajv keeps it in `params`. */
function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return `must not have the property ${JSON.stringify(params["additionalProperty"])}`;
    case "enum":
      return `must be one of ${(params["allowedValues"] as readonly unknown[]).slice(0, 10).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(params["allowedValue"])}`;
    default:
      return error.message ?? `fails "${error.keyword}"`;
  }
}
