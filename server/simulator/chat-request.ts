import { z } from "zod";

const textPartSchema = z.object({ type: z.literal("text"), text: z.string() });
// Other part kinds (images, audio) are accepted and ignored: the simulator only reads text.
const otherPartSchema = z.looseObject({ type: z.string() });

const contentSchema = z
  .union([z.string(), z.array(z.union([textPartSchema, otherPartSchema]))])
  .nullish();

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const messageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: contentSchema,
  tool_calls: z.array(toolCallSchema).nullish(),
  tool_call_id: z.string().optional(),
});

const toolSchema = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

// Only `json_schema` is read; `text` and `json_object` are accepted and answered as free text.
const responseFormatSchema = z.looseObject({
  type: z.string(),
  json_schema: z
    .looseObject({ name: z.string().min(1), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() })
    .optional(),
});

const chatRequestSchema = z.object({
  model: z.string(),
  messages: z.array(messageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: z.unknown().optional(),
  response_format: responseFormatSchema.nullish(),
  // OpenAI's ranges: a request outside them is refused as it would be there.
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
});

/** One message of a chat completion request, as the simulator reads it. */
export type ChatMessage = z.infer<typeof messageSchema>;

/** A tool call made by an earlier assistant message. */
export type ChatToolCall = z.infer<typeof toolCallSchema>;

/** A tool the request offers, in the OpenAI `tools` format. */
export type ChatTool = z.infer<typeof toolSchema>;

/** A `json_schema` response format: the answer must be a JSON document that validates against `schema`. */
export interface ChatResponseFormat {
  readonly name: string;
  /** The JSON Schema; `{}` (anything) when the request sent none. */
  readonly schema: Readonly<Record<string, unknown>>;
}

/** The parts of a chat completion request the simulator uses. */
export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** Tools the model may call; empty when `tool_choice` is `"none"`. */
  readonly tools: readonly ChatTool[];
  /** The structured-output mode the request asks for, when `response_format` is a `json_schema`. */
  readonly responseFormat: ChatResponseFormat | undefined;
  /** The sampling temperature the request set; undefined when it set none. */
  readonly temperature: number | undefined;
  /** The output-token limit the request set (`max_completion_tokens`, else `max_tokens`); undefined when none. */
  readonly maxTokens: number | undefined;
}

/** Why a request body was rejected, shaped for an OpenAI `invalid_request_error`. */
export interface ChatRequestProblem {
  readonly message: string;
  readonly param: string | null;
  readonly code: string | null;
}

/** Validates a decoded JSON body as a chat completion request. */
export function parseChatRequest(
  body: unknown,
): { ok: true; request: ChatRequest } | { ok: false; problem: ChatRequestProblem } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return problem("The request body must be a JSON object.", null, null);
  }
  // The two most common mistakes get OpenAI's own wording; everything else a generic one.
  if (!("model" in body) || body.model === undefined) {
    return problem("you must provide a model parameter", null, null);
  }
  if (!("messages" in body) || body.messages === undefined) {
    return problem("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  }
  if (Array.isArray(body.messages) && body.messages.length === 0) {
    return problem(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
      "empty_array",
    );
  }
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue === undefined ? null : formatParam(issue.path);
    const detail = issue?.message ?? "invalid request";
    return problem(`Invalid '${param ?? "body"}': ${detail}.`, param, "invalid_value");
  }
  const data = parsed.data;
  if (data.response_format?.type === "json_schema" && data.response_format.json_schema === undefined) {
    return problem("Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema", "missing_required_parameter");
  }
  return {
    ok: true,
    request: {
      model: data.model,
      messages: data.messages,
      stream: data.stream === true,
      includeUsage: data.stream_options?.include_usage === true,
      tools: data.tool_choice === "none" ? [] : (data.tools ?? []),
      responseFormat: responseFormatOf(data.response_format),
      temperature: data.temperature ?? undefined,
      maxTokens: data.max_completion_tokens ?? data.max_tokens ?? undefined,
    },
  };
}

function responseFormatOf(format: z.infer<typeof responseFormatSchema> | null | undefined): ChatResponseFormat | undefined {
  if (format?.type !== "json_schema" || format.json_schema === undefined) return undefined;
  return { name: format.json_schema.name, schema: format.json_schema.schema ?? {} };
}

/** The text of a message: its string content, or its text parts joined. */
export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (!content) return "";
  let text = "";
  for (const part of content) {
    if (part.type === "text" && typeof part.text === "string") text += part.text;
  }
  return text;
}

function problem(message: string, param: string | null, code: string | null) {
  return { ok: false as const, problem: { message, param, code } };
}

// OpenAI names nested parameters like `messages[0].role`.
function formatParam(path: readonly PropertyKey[]): string | null {
  let param = "";
  for (const key of path) {
    if (typeof key === "number") param += `[${key}]`;
    else param += param === "" ? String(key) : `.${String(key)}`;
  }
  return param === "" ? null : param;
}
