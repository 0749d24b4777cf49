/**
 * What a prompt version is: its content, the part its version id is the
 * hash of. Author, note and time describe a registration, not the content,
 * so registering the same content again is the same version.
 */

/** An agent runs the tool-calling loop; a chain is one model call with no tools. */
export type PromptKind = "agent" | "chain";

/** The role of one message of a template. */
export type PromptRole = "system" | "human" | "ai";

/**
 * One message of a prompt: a LangChain `ChatPromptTemplate` message in its
 * default f-string format (`{name}` is a variable, `{{` and `}}` are braces).
 */
export interface PromptMessageTemplate {
  readonly role: PromptRole;
  readonly template: string;
}

/** The model settings a version asks for; unset means the deployment's. */
export interface PromptModelSettings {
  /** Sampling temperature, 0 to 2. */
  readonly temperature?: number;
  /** Upper bound on the tokens of each model turn. */
  readonly maxOutputTokens?: number;
}

/** A JSON value, as a JSON Schema and a structured answer are made of. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * The content of a prompt version.
 *
 * The run's `input` is the reserved variable `input`: a template may use
 * `{input}` without declaring it; a template that does not use it gets the
 * input as a last human message. Every other variable a template uses must
 * be declared, and every declared one used; a run must give each declared
 * variable a value, and no other.
 */
export interface PromptContent {
  readonly kind: PromptKind;
  /** At least one; a thread's earlier turns go after the leading system messages. */
  readonly messages: readonly PromptMessageTemplate[];
  /** Variables the caller fills, other than `input`; sorted, no duplicates. */
  readonly inputVariables: readonly string[];
  readonly model: PromptModelSettings;
  /** Tools an agent may call, by name, sorted; empty for a chain. Empty for an agent means every registered tool. */
  readonly tools: readonly string[];
  /** A JSON Schema the final answer must validate against, when set: the answer is then JSON. */
  readonly outputSchema?: JsonObject;
}

/** The reserved variable that holds a run's input. */
export const inputVariable = "input";
