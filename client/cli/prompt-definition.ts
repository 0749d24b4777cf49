import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { PromptKind, PromptRole, type PromptContent } from "../../gen/agent/v1/prompt_service_pb.js";
import type { PromptContentInit } from "../prompt-options.js";

/**
 * A prompt definition as a file holds it, the shape of one `AGENT_PROMPTS_FILE`
 * entry without its name, note and activate: `{ kind?, messages: [{ role,
 * template }], inputVariables?, model?: { temperature?, maxOutputTokens? },
 * tools?, outputSchema? }`. The CLI converts it here rather than with the
 * server's code, so that the SDK and its CLI install without the server.
 */
export type PromptDefinition = JsonObject;

/** A definition that cannot become a PromptContent message, naming the field. */
export class PromptDefinitionShapeError extends Error {
  override readonly name = "PromptDefinitionShapeError";
}

const roleOf: Readonly<Record<string, PromptRole>> = { system: PromptRole.SYSTEM, human: PromptRole.HUMAN, ai: PromptRole.AI };
const roleNames: Readonly<Partial<Record<PromptRole, string>>> = { [PromptRole.SYSTEM]: "system", [PromptRole.HUMAN]: "human", [PromptRole.AI]: "ai" };
const definitionFields = new Set(["kind", "messages", "inputVariables", "model", "tools", "outputSchema"]);
const modelFields = new Set(["temperature", "maxOutputTokens"]);

/**
 * The PromptContent of a parsed definition. Checks only what the message
 * cannot carry (types, unknown fields, roles and kinds by name): a dropped
 * misspelt `tool:` would register an agent that may call every tool. Ranges,
 * variables and tools are the service's to check, and it names the field.
 * `null`, YAML's empty value, is unset, as in the prompts file.
 */
export function contentOfDefinition(definition: unknown): PromptContentInit {
  if (!isRecord(definition)) {
    throw new PromptDefinitionShapeError('must hold one prompt definition: an object with "messages"');
  }
  if (Array.isArray(definition["prompts"])) {
    throw new PromptDefinitionShapeError('holds a prompts file (a "prompts" list); give one definition: { kind?, messages, inputVariables?, model?, tools?, outputSchema? }');
  }
  for (const key of Object.keys(definition)) {
    if (!definitionFields.has(key)) {
      const hint = ["name", "note", "activate"].includes(key) ? `; give it on the command line (register <name> <file> --note <why> --activate)` : "";
      throw new PromptDefinitionShapeError(`${key}: unknown field; a definition has ${[...definitionFields].join(", ")}${hint}`);
    }
  }
  const outputSchema = optional(definition["outputSchema"]);
  if (outputSchema !== undefined && !isRecord(outputSchema)) {
    throw new PromptDefinitionShapeError("outputSchema: must be a JSON Schema object, such as { type: object, properties: ... }");
  }
  return {
    kind: kindOf(optional(definition["kind"])),
    messages: messagesOf(definition["messages"]),
    inputVariables: stringsOf(definition["inputVariables"], "inputVariables", "variable names"),
    ...modelSettingsOf(optional(definition["model"])),
    tools: stringsOf(definition["tools"], "tools", "tool names"),
    ...(outputSchema === undefined ? {} : { outputSchema: outputSchema as JsonObject }),
  };
}

/**
 * The definition of a version's content, as a file would hold it: what
 * `show` prints and `diff` compares. One form per content: fields in the
 * order a file is written, empty ones left out, and the output schema's keys
 * sorted (the service already sorts variables and tools).
 */
export function definitionOfContent(content: PromptContent | undefined): PromptDefinition {
  if (content === undefined) {
    return {};
  }
  const model: JsonObject = {
    ...(content.temperature === undefined ? {} : { temperature: content.temperature }),
    ...(content.maxOutputTokens === 0 ? {} : { maxOutputTokens: content.maxOutputTokens }),
  };
  return {
    kind: content.kind === PromptKind.CHAIN ? "chain" : "agent",
    messages: content.messages.map((message) => ({ role: roleNames[message.role] ?? "unspecified", template: message.template })),
    ...(content.inputVariables.length === 0 ? {} : { inputVariables: [...content.inputVariables] }),
    ...(Object.keys(model).length === 0 ? {} : { model }),
    ...(content.tools.length === 0 ? {} : { tools: [...content.tools] }),
    ...(content.outputSchema === undefined ? {} : { outputSchema: sortedKeys(content.outputSchema) }),
  };
}

/** A definition as pretty JSON, two-space indents: a line per field, so that a line diff of two reads well. */
export function formatDefinition(definition: PromptDefinition): string {
  return JSON.stringify(definition, null, 2);
}

function sortedKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) {
    return value.map(sortedKeys);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedKeys(value[key] as JsonValue)]),
    );
  }
  return value;
}

/** The content fields of a definition's `model`; 0 output tokens is the deployment's limit on the wire. */
function modelSettingsOf(model: unknown): { temperature?: number; maxOutputTokens: number } {
  if (model === undefined) {
    return { maxOutputTokens: 0 };
  }
  if (!isRecord(model)) {
    throw new PromptDefinitionShapeError("model: must be an object with temperature and maxOutputTokens, each optional");
  }
  const unknown = Object.keys(model).find((key) => !modelFields.has(key));
  if (unknown !== undefined) {
    throw new PromptDefinitionShapeError(`model.${unknown}: unknown field; model has temperature and maxOutputTokens`);
  }
  const temperature = optional(model["temperature"]);
  const maxOutputTokens = optional(model["maxOutputTokens"]) ?? 0;
  if (temperature !== undefined && typeof temperature !== "number") {
    throw new PromptDefinitionShapeError("model.temperature: must be a number from 0 to 2");
  }
  // The service checks the range; a value that is not a uint32 could not even be sent.
  if (typeof maxOutputTokens !== "number" || !Number.isInteger(maxOutputTokens) || maxOutputTokens < 0 || maxOutputTokens > 0xffff_ffff) {
    throw new PromptDefinitionShapeError("model.maxOutputTokens: must be a whole number, 1 or more");
  }
  return { ...(temperature === undefined ? {} : { temperature }), maxOutputTokens };
}

function kindOf(kind: unknown): PromptKind {
  switch (kind) {
    case undefined:
      return PromptKind.UNSPECIFIED;
    case "agent":
      return PromptKind.AGENT;
    case "chain":
      return PromptKind.CHAIN;
    default:
      throw new PromptDefinitionShapeError(`kind: must be "agent" or "chain", got ${JSON.stringify(kind)}`);
  }
}

function messagesOf(messages: unknown): { role: PromptRole; template: string }[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new PromptDefinitionShapeError('messages: is required: a list of { role: system|human|ai, template }, at least one');
  }
  return messages.map((message: unknown, index) => {
    if (!isRecord(message)) {
      throw new PromptDefinitionShapeError(`messages[${index}]: must be an object such as { role: system, template: "..." }`);
    }
    const unknown = Object.keys(message).find((key) => key !== "role" && key !== "template");
    if (unknown !== undefined) {
      throw new PromptDefinitionShapeError(`messages[${index}].${unknown}: unknown field; a message has role and template`);
    }
    const role = typeof message["role"] === "string" ? roleOf[message["role"]] : undefined;
    if (role === undefined) {
      throw new PromptDefinitionShapeError(`messages[${index}].role: must be "system", "human" or "ai", got ${JSON.stringify(message["role"] ?? null)}`);
    }
    if (typeof message["template"] !== "string") {
      throw new PromptDefinitionShapeError(`messages[${index}].template: must be a string: the message's text, with {variables}`);
    }
    return { role, template: message["template"] };
  });
}

function stringsOf(value: unknown, field: string, what: string): string[] {
  const list = optional(value);
  if (list === undefined) {
    return [];
  }
  if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) {
    throw new PromptDefinitionShapeError(`${field}: must be a list of ${what}`);
  }
  return list;
}

/** `null` (YAML's empty value) as unset. */
function optional(value: unknown): unknown {
  return value === null ? undefined : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
