import { formatFieldPath } from "./field-path.js";
import { frozenJsonCopy } from "./frozen-json.js";
import { compileOutputSchema } from "./output-schema.js";
import { describeSchemaProblems, isOutputSchemaError } from "./output-schema-error.js";
import {
  inputVariable,
  type JsonObject,
  type PromptContent,
  type PromptKind,
  type PromptMessageTemplate,
  type PromptModelSettings,
} from "./prompt-content.js";
import { PromptDefinitionError } from "./prompt-definition-error.js";
import { parseRawPromptDefinition, type RawPromptDefinition } from "./raw-prompt-definition.js";
import { parseTemplateParts, variablesOf } from "./template-parts.js";

export { promptDefinitionLimits } from "./raw-prompt-definition.js";

/**
 * The names a variable may have: an identifier of at most 64 characters, so
 * that a name reads the same in a template, a proto map key, a log line and
 * a YAML file, and `{ name }` (spaces) or `{}` is caught as a mistake.
 */
export const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** What a definition is checked against. */
export interface PromptDefinitionOptions {
  /** The tools a version may name: every tool registered with the service (built-in and MCP). */
  readonly knownTools: ReadonlySet<string>;
}

/** How many registered tools an unknown-tool error lists before "and N more". */
const maxListedTools = 20;

/** How many schema problems a definition error lists: one mistake often breaks several meta-schema rules. */
const maxListedSchemaProblems = 5;

/**
 * Checks a prompt definition as it arrives (parsed JSON or YAML, or an RPC's
 * content) and returns it as a version's {@link PromptContent}: defaults
 * filled (kind `agent`, model `{}`), `inputVariables` and `tools` sorted and
 * without duplicates, deeply frozen, so the same meaning always has the same
 * content and hash.
 *
 * Throws a {@link PromptDefinitionError} for the first problem found, naming
 * the field and the variable or tool: a template LangChain cannot parse, a
 * variable used but not declared or declared but not used, a declared
 * `input` (it is reserved), an unknown tool, tools on a chain, a setting out
 * of range, or an output schema that is not a valid JSON Schema (draft
 * 2020-12, see `output-schema.ts`) or whose root is not `"type": "object"`.
 * Limits: {@link promptDefinitionLimits}.
 */
export function definePromptContent(raw: unknown, options: PromptDefinitionOptions): PromptContent {
  const definition = parseRawPromptDefinition(raw);
  const kind: PromptKind = definition.kind ?? "agent";
  const messages = definition.messages.map(({ role, template }): PromptMessageTemplate => Object.freeze({ role, template }));
  const inputVariables = checkVariables(messages, definition.inputVariables ?? []);
  const tools = checkTools(kind, definition.tools ?? [], options.knownTools);
  const outputSchema = checkOutputSchema(definition.outputSchema);
  return Object.freeze({
    kind,
    messages: Object.freeze(messages),
    inputVariables: Object.freeze(inputVariables),
    model: modelSettingsOf(definition.model),
    tools: Object.freeze(tools),
    ...(outputSchema === undefined ? {} : { outputSchema }),
  });
}

/** The declared variables, sorted and unique, once every template's use of them is checked against them. */
function checkVariables(messages: readonly PromptMessageTemplate[], declaredNames: readonly string[]): string[] {
  const usedBy = messages.map((message, index) => templateVariables(message.template, index));
  const declared = sortedUnique(declaredNames);

  const invalid = declared.filter((name) => !variableNamePattern.test(name));
  if (invalid.length > 0) {
    throw new PromptDefinitionError(
      "inputVariables",
      `${names(invalid)} ${invalid.length === 1 ? "is not a valid variable name" : "are not valid variable names"}; ${variableNameRule}`,
    );
  }
  if (declared.includes(inputVariable)) {
    throw new PromptDefinitionError(
      "inputVariables",
      `"${inputVariable}" is reserved for the run's input and must not be declared; use {${inputVariable}} in a template without declaring it`,
    );
  }

  const declaredSet = new Set(declared);
  for (const [index, used] of usedBy.entries()) {
    const undeclared = used.filter((name) => name !== inputVariable && !declaredSet.has(name));
    if (undeclared.length > 0) {
      throw new PromptDefinitionError(
        `messages[${index}].template`,
        `uses ${undeclared.map((name) => `{${name}}`).join(", ")}, which ${undeclared.length === 1 ? "is" : "are"} not declared; ` +
          `add ${names(undeclared)} to inputVariables, or write {{ and }} for literal braces`,
      );
    }
  }

  const usedSet = new Set(usedBy.flat());
  const unused = declared.filter((name) => !usedSet.has(name));
  if (unused.length > 0) {
    throw new PromptDefinitionError(
      "inputVariables",
      `declares ${names(unused)}, which no template uses; ` +
        `remove ${unused.length === 1 ? "it" : "them"} or use ${unused.map((name) => `{${name}}`).join(", ")} in a template`,
    );
  }
  return declared;
}

const variableNameRule = "a variable name has letters, digits and _, starts with a letter or _, and has at most 64 characters";

/** The variables one template uses, once its syntax and every name in it are checked. */
function templateVariables(template: string, index: number): string[] {
  const field = `messages[${index}].template`;
  let used: string[];
  try {
    used = variablesOf(parseTemplateParts(template));
  } catch (err) {
    // LangChain's parser throws a plain Error ("Unclosed '{' in template.") for any syntax problem.
    const reason = err instanceof Error ? err.message : String(err);
    throw new PromptDefinitionError(field, `is not a valid f-string template (${reason}); write {{ and }} for literal braces`, { cause: err });
  }
  const invalid = used.find((name) => !variableNamePattern.test(name));
  if (invalid !== undefined) {
    throw new PromptDefinitionError(
      field,
      `{${invalid}} is not a valid variable name; ${variableNameRule}, with no spaces inside the braces; write {{ and }} for literal braces`,
    );
  }
  return used;
}

/** The tools, sorted and unique, once each is known and the kind allows tools. */
function checkTools(kind: PromptKind, toolNames: readonly string[], knownTools: ReadonlySet<string>): string[] {
  const tools = sortedUnique(toolNames);
  if (kind === "chain" && tools.length > 0) {
    throw new PromptDefinitionError("tools", `a chain makes one model call and cannot use tools (got ${names(tools)}); remove tools or make kind "agent"`);
  }
  const unknown = tools.filter((name) => !knownTools.has(name));
  if (unknown.length > 0) {
    throw new PromptDefinitionError(
      "tools",
      `${unknown.length === 1 ? "unknown tool" : "unknown tools"} ${names(unknown)}; ${describeKnownTools(knownTools)}`,
    );
  }
  return tools;
}

function describeKnownTools(knownTools: ReadonlySet<string>): string {
  if (knownTools.size === 0) {
    return "no tools are registered";
  }
  const known = [...knownTools].sort();
  const listed = known.slice(0, maxListedTools).join(", ");
  return `the registered tools are ${listed}${known.length > maxListedTools ? `, and ${known.length - maxListedTools} more` : ""}`;
}

/** The settings that are set, frozen; `null` (YAML's empty value) counts as unset. */
function modelSettingsOf(model: RawPromptDefinition["model"]): PromptModelSettings {
  const settings: { temperature?: number; maxOutputTokens?: number } = {};
  if (model?.temperature != null) {
    settings.temperature = model.temperature;
  }
  if (model?.maxOutputTokens != null) {
    settings.maxOutputTokens = model.maxOutputTokens;
  }
  return Object.freeze(settings);
}

/** A frozen copy of the schema once it compiles, or undefined when there is none. */
function checkOutputSchema(raw: unknown): JsonObject | undefined {
  if (raw === undefined || raw === null) {
    return undefined;
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    const sent = typeof raw === "object" ? "a list" : typeof raw;
    throw new PromptDefinitionError("outputSchema", `must be a JSON Schema object, such as {"type": "object", "properties": {...}} (got ${sent})`);
  }
  const copy = frozenJsonCopy(raw);
  if (!copy.ok) {
    throw new PromptDefinitionError(formatFieldPath(copy.path, "outputSchema"), copy.problem);
  }
  // Not an array nor a primitive, checked above, so the copy is an object.
  const schema = copy.value as JsonObject;
  try {
    compileOutputSchema(schema);
  } catch (err) {
    if (!isOutputSchemaError(err)) {
      throw err;
    }
    const problems = err.problems.slice(0, maxListedSchemaProblems);
    const more = err.problems.length - problems.length;
    throw new PromptDefinitionError(
      "outputSchema",
      `is not a valid JSON Schema (draft 2020-12): ${describeSchemaProblems(problems, "outputSchema")}${more > 0 ? `; and ${more} more` : ""}`,
      { cause: err },
    );
  }
  // The answer is returned as a google.protobuf.Struct, which holds an object (and OpenAI's structured outputs want one).
  if (schema["type"] !== "object") {
    throw new PromptDefinitionError("outputSchema.type", `must be "object": the parsed answer is returned as a JSON object (got ${JSON.stringify(schema["type"] ?? null)})`);
  }
  return schema;
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** `"a"` or `"a", "b"`: names quoted, so that an empty or spaced name is visible. */
function names(values: readonly string[]): string {
  return values.map((value) => JSON.stringify(value)).join(", ");
}
