import { z } from "zod";
import { type FieldKey, formatFieldPath } from "./field-path.js";
import { PromptDefinitionError } from "./prompt-definition-error.js";

/** The limits of a prompt definition, each a registration error when exceeded. */
export const promptDefinitionLimits = Object.freeze({
  /** Messages of a template. */
  maxMessages: 32,
  /** Characters of one message's template. */
  maxTemplateLength: 32_768,
  /** Declared variables: a run's `variables` map takes at most 64 entries. */
  maxInputVariables: 64,
  /** Highest sampling temperature; the lowest is 0. */
  maxTemperature: 2,
  /** Highest `maxOutputTokens`; the lowest is 1. */
  maxOutputTokens: 1_000_000,
});

const { maxMessages, maxTemplateLength, maxInputVariables, maxTemperature, maxOutputTokens } = promptDefinitionLimits;

/** `got 3`, short enough for a message whatever was sent. */
function got(input: unknown): string {
  const text = input === undefined ? "nothing" : (JSON.stringify(input) ?? typeof input);
  return text.length > 40 ? `got ${text.slice(0, 37)}...` : `got ${text}`;
}

/** An error function: `required` when the field is absent, otherwise `message` and what was sent. */
function errorFor(message: string, required = "is required") {
  return (issue: { readonly input?: unknown }) => (issue.input === undefined ? required : `${message} (${got(issue.input)})`);
}

const messageSchema = z.strictObject(
  {
    role: z.enum(["system", "human", "ai"], { error: errorFor('must be "system", "human" or "ai"') }),
    template: z
      .string({ error: errorFor("must be a string: the message's text, with {variables}") })
      .max(maxTemplateLength, `is longer than ${maxTemplateLength.toLocaleString("en")} characters; shorten it or split it into more messages`)
      .refine((template) => template.trim() !== "", "is empty; write the message's text"),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? undefined : errorFor('must be an object such as {"role": "system", "template": "..."}')(issue)) },
);

const temperatureError = errorFor(`must be a number from 0 to ${maxTemperature}`);
const maxOutputTokensError = errorFor(`must be a whole number from 1 to ${maxOutputTokens.toLocaleString("en")}`);

const modelSchema = z.strictObject(
  {
    temperature: z
      .number({ error: temperatureError })
      .min(0, { error: temperatureError })
      .max(maxTemperature, { error: temperatureError })
      .nullish(),
    maxOutputTokens: z
      .int({ error: maxOutputTokensError })
      .min(1, { error: maxOutputTokensError })
      .max(maxOutputTokens, { error: maxOutputTokensError })
      .nullish(),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? undefined : errorFor("must be an object with temperature and maxOutputTokens, each optional")(issue)) },
);

/**
 * The shape of a definition as it arrives, from a JSON or YAML file or an
 * RPC: every optional field may also be `null` (YAML's empty value), which
 * means unset. Unknown fields are refused, so a misspelt `tool:` is an error
 * rather than an agent that may call every tool.
 */
const rawDefinitionSchema = z.strictObject(
  {
    kind: z.enum(["agent", "chain"], { error: errorFor('must be "agent" or "chain"') }).nullish(),
    messages: z
      .array(messageSchema, { error: errorFor("must be a list of messages", 'is required: a list of {"role", "template"}, at least one') })
      .min(1, 'must have at least one message: a list of {"role", "template"}')
      .max(maxMessages, `must have at most ${maxMessages} messages`),
    inputVariables: z
      .array(z.string({ error: errorFor("must be a variable name") }), { error: errorFor("must be a list of variable names") })
      .max(maxInputVariables, `must declare at most ${maxInputVariables} variables`)
      .nullish(),
    model: modelSchema.nullish(),
    tools: z.array(z.string({ error: errorFor("must be a tool name") }), { error: errorFor("must be a list of tool names") }).nullish(),
    // Checked by hand (JSON, then JSON Schema): zod would only say "object".
    outputSchema: z.unknown().optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? undefined
        : errorFor('a prompt definition must be an object such as {"messages": [{"role": "system", "template": "..."}]}', "a prompt definition is required")(issue),
  },
);

/** A definition of the right shape, not yet checked for meaning (variables, tools, schema). */
export type RawPromptDefinition = z.infer<typeof rawDefinitionSchema>;

/** The fields of each object of a definition, to say which ones exist when an unknown one is given. */
const fieldsOf = {
  definition: Object.keys(rawDefinitionSchema.shape),
  message: Object.keys(messageSchema.shape),
  model: Object.keys(modelSchema.shape),
};

/**
 * `raw` as a {@link RawPromptDefinition}, or a {@link PromptDefinitionError}
 * for its first problem of shape: a missing or mistyped field, a value out
 * of range, an unknown field.
 */
export function parseRawPromptDefinition(raw: unknown): RawPromptDefinition {
  const parsed = rawDefinitionSchema.safeParse(raw);
  if (parsed.success) {
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  if (issue === undefined) {
    throw new PromptDefinitionError("", "is not a valid prompt definition", { cause: parsed.error });
  }
  const path = issue.path.map((key): FieldKey => (typeof key === "symbol" ? String(key) : key));
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const known = path.length === 0 ? fieldsOf.definition : path.at(-1) === "model" ? fieldsOf.model : fieldsOf.message;
    return unknownField([...path, key], known, parsed.error);
  }
  throw new PromptDefinitionError(formatFieldPath(path), issue.message, { cause: parsed.error });
}

function unknownField(path: readonly FieldKey[], known: readonly string[], cause: unknown): never {
  throw new PromptDefinitionError(formatFieldPath(path), `is not a field here; the fields are ${known.join(", ")}`, { cause });
}
