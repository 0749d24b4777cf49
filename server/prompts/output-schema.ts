import { Ajv2020, type ErrorObject, type Options, type ValidateFunction } from "ajv/dist/2020.js";
import { formatFieldPath, keysOfPointer } from "./field-path.js";
import { OutputSchemaError, type OutputSchemaProblem } from "./output-schema-error.js";
import type { JsonObject, JsonValue } from "./prompt-content.js";

/**
 * The JSON Schema dialect of output schemas: draft 2020-12, the draft the
 * PromptService contract names and the one zod 4's `z.toJSONSchema` writes.
 * A schema may say so in `$schema` or leave it out; any other draft is refused.
 */
export const outputSchemaDialect = "https://json-schema.org/draft/2020-12/schema";

/** At most this many error lines go back to the model: enough to fix the answer, few enough to stay cheap. */
export const maxReportedErrors = 10;

/** An answer checked against an output schema. */
export type OutputParseResult =
  | { readonly ok: true; readonly value: JsonValue }
  /** Up to {@link maxReportedErrors} short lines, `path: message`, written for the model to correct its answer. */
  | { readonly ok: false; readonly errors: readonly string[] };

/** Checks a model's final answer against one output schema. */
export interface OutputSchemaValidator {
  /**
   * Parses `text` as JSON, tolerating whitespace around it and one
   * surrounding Markdown fence (```` ```json ```` or bare ```` ``` ````), and
   * validates it. Never throws.
   */
  parse(text: string): OutputParseResult;
}

/**
 * How answers are checked. `strictSchema` refuses keywords the draft does not
 * have, so a typo (`propertes`) is a registration error instead of a schema
 * that accepts everything; the type, tuple and `required` strictness are off
 * because they refuse valid schemas. `format` is an annotation, as draft
 * 2020-12 defines it without the format-assertion vocabulary, so `email` or
 * `date-time` are accepted and not checked.
 */
const validatorOptions: Options = {
  allErrors: true,
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  validateFormats: false,
  // Each schema gets its own instance (see compileSchema): nothing to share, so no meta-schemas.
  meta: false,
  validateSchema: false,
};

/**
 * Checks schemas against the 2020-12 meta-schema. Building it compiles the
 * meta-schema (about 50 ms), so it is built once, on first use; it only ever
 * validates schemas as data, never adds one, so it holds no state between calls.
 */
let metaSchemaChecker: Ajv2020 | undefined;

/** Compiled validators by schema object: versions are immutable, so a schema compiles once. */
const validators = new WeakMap<JsonObject, OutputSchemaValidator>();

/**
 * Compiles `schema` (JSON Schema draft 2020-12, see {@link outputSchemaDialect})
 * into a validator of answers, once per schema object: later calls with the
 * same object return the same validator. Throws an {@link OutputSchemaError}
 * naming every problem when the schema is not valid.
 */
export function compileOutputSchema(schema: JsonObject): OutputSchemaValidator {
  const cached = validators.get(schema);
  if (cached !== undefined) {
    return cached;
  }
  const validate = compileSchema(schema);
  const validator: OutputSchemaValidator = { parse: (text) => checkAnswer(validate, text) };
  validators.set(schema, validator);
  return validator;
}

function compileSchema(schema: JsonObject): ValidateFunction {
  const dialect = schema["$schema"];
  if (dialect !== undefined && (typeof dialect !== "string" || dialect.replace(/#$/, "") !== outputSchemaDialect)) {
    throw new OutputSchemaError([
      { path: ["$schema"], message: `only JSON Schema draft 2020-12 is supported: write "${outputSchemaDialect}" or leave $schema out` },
    ]);
  }
  metaSchemaChecker ??= new Ajv2020({ allErrors: true });
  if (!metaSchemaChecker.validateSchema(schema)) {
    throw new OutputSchemaError(problemsOf(metaSchemaChecker.errors ?? [], schema));
  }
  // A fresh instance per schema: a shared one would keep every compiled schema, and the `$id`s
  // inside them, for the life of the process, and let one prompt's schema `$ref` another's.
  try {
    return new Ajv2020(validatorOptions).compile(schema);
  } catch (err) {
    // Ajv throws a plain Error for an unknown keyword and a MissingRefError for a dangling $ref.
    const message = err instanceof Error ? err.message.replace(/^strict mode: /, "") : String(err);
    throw new OutputSchemaError([{ path: [], message }], { cause: err });
  }
}

function problemsOf(errors: readonly ErrorObject[], schema: JsonObject): OutputSchemaProblem[] {
  return errors.map((error) => ({ path: keysOfPointer(error.instancePath, schema), message: messageOf(error) }));
}

function checkAnswer(validate: ValidateFunction, text: string): OutputParseResult {
  const json = withoutFence(text.trim());
  if (json === "") {
    return { ok: false, errors: ["the answer is empty: reply with only a JSON value that matches the schema"] };
  }
  let value: JsonValue;
  try {
    value = JSON.parse(json) as JsonValue;
  } catch (err) {
    // V8 quotes the start of the text in its message; one line per error, whatever the answer held.
    const reason = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ");
    return { ok: false, errors: [`the answer is not valid JSON (${reason}): reply with only the JSON value, without other text`] };
  }
  if (validate(value)) {
    return { ok: true, value };
  }
  return { ok: false, errors: errorLines(validate.errors ?? [], value) };
}

/**
 * The text inside one Markdown fence that is all of `text`, or `text`.
 * Scanned by hand, not with a regular expression, whose backtracking over a
 * long answer of whitespace would be quadratic.
 */
function withoutFence(text: string): string {
  const fence = "```";
  if (text.length < 2 * fence.length || !text.startsWith(fence) || !text.endsWith(fence)) {
    return text;
  }
  const firstLineEnd = text.indexOf("\n");
  if (firstLineEnd < 0) {
    return text;
  }
  const info = text.slice(fence.length, firstLineEnd).trim().toLowerCase();
  if (info !== "" && info !== "json") {
    return text;
  }
  return text.slice(firstLineEnd + 1, text.length - fence.length).trim();
}

function errorLines(errors: readonly ErrorObject[], value: JsonValue): string[] {
  const lines = [...new Set(errors.map((error) => `${formatFieldPath(keysOfPointer(error.instancePath, value), "$")}: ${messageOf(error)}`))];
  if (lines.length <= maxReportedErrors) {
    return lines;
  }
  const listed = lines.slice(0, maxReportedErrors - 1);
  return [...listed, `and ${lines.length - listed.length} more problems`];
}

/** Ajv's message, with the value it is about where Ajv keeps that in `params`. */
function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `must have the property ${JSON.stringify(params["missingProperty"])}`;
    case "additionalProperties":
      return `must not have the property ${JSON.stringify(params["additionalProperty"])}`;
    case "unevaluatedProperties":
      return `must not have the property ${JSON.stringify(params["unevaluatedProperty"])}`;
    case "enum":
      return `must be one of ${listOfValues(params["allowedValues"] as readonly unknown[])}`;
    case "const":
      return `must be ${JSON.stringify(params["allowedValue"])}`;
    default:
      return error.message ?? `fails "${error.keyword}"`;
  }
}

/** Enough allowed values to show the pattern; a list of 200 countries would drown the other errors. */
const maxListedValues = 10;

function listOfValues(values: readonly unknown[]): string {
  const listed = values.slice(0, maxListedValues).map((value) => JSON.stringify(value));
  return values.length > listed.length ? `${listed.join(", ")}, … (${values.length} in all)` : listed.join(", ");
}
