import { HumanMessage } from "@langchain/core/messages";
import type { JsonObject } from "@bufbuild/protobuf";
import { outputFormatName, type TurnOutputFormat } from "../model/turn-settings.js";
import { compileOutputSchema, type OutputSchemaValidator } from "../prompts/output-schema.js";
import type { PromptVersion } from "../prompts/prompt-version.js";

/** A final answer checked against the prompt version's output schema. */
export type AnswerCheckResult =
  /** The parsed answer: a JSON object, as `ExecuteResponse.structured_output` (a `google.protobuf.Struct`) holds it. */
  | { readonly ok: true; readonly value: JsonObject }
  /** Short lines, `path: message`, for the model step and the correction. */
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * How a run holds its final answers to the output schema of its prompt
 * version: what it asks the provider for, how it checks an answer, and what
 * it tells the model about one that fails.
 */
export interface AnswerCheck {
  /** The schema as a turn's output format, for a provider's structured-output mode. */
  readonly outputFormat: TurnOutputFormat;
  /** Parses and validates a final answer. Never throws. */
  check(text: string): AnswerCheckResult;
  /** The message that sends a failed answer's errors back to the model, asking for JSON only. */
  correction(errors: readonly string[]): HumanMessage;
}

/**
 * The answer check of a prompt version, or undefined when it declares no
 * output schema (its answers are free text). The schema compiles once per
 * version (see `compileOutputSchema`), so a run pays nothing for it but the
 * check of each final answer: never per streamed chunk.
 */
export function createAnswerCheck(prompt: Pick<PromptVersion, "id" | "outputSchema">): AnswerCheck | undefined {
  const schema = prompt.outputSchema;
  if (schema === undefined) {
    return undefined;
  }
  const validator = compileOutputSchema(schema);
  // The schema as the model reads it in a correction: compact, and built once per run.
  const schemaText = JSON.stringify(schema);
  return {
    outputFormat: { name: outputFormatName(prompt.id.split("@")[0] ?? ""), schema },
    check: (text) => checkAnswer(validator, text),
    correction: (errors) =>
      new HumanMessage(
        [
          "Your answer does not match the required output schema:",
          ...errors.map((error) => `- ${error}`),
          `Reply with only a JSON object that matches this JSON Schema, and no other text: ${schemaText}`,
        ].join("\n"),
      ),
  };
}

function checkAnswer(validator: OutputSchemaValidator, text: string): AnswerCheckResult {
  const parsed = validator.parse(text);
  if (!parsed.ok) {
    return parsed;
  }
  const { value } = parsed;
  // Registration refuses schemas whose root is not an object; a version stored before that rule may still allow one.
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, errors: ["$: must be a JSON object"] };
  }
  // Parsed from text just now, so nobody else holds it: safe to hand on as the response's mutable Struct.
  return { ok: true, value: value as JsonObject };
}
