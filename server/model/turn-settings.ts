/**
 * What a run asks of each model call beyond its messages and tools: the
 * prompt version's sampling settings and the output schema of its answer.
 * The gateway sends each model only what it supports (see
 * {@link settingsForModel}), and keys the response cache on exactly what it
 * sent, so calls that differ in any of it never share a cached answer.
 */

/** The JSON Schema a turn's answer must match, for a provider's structured-output mode. */
export interface TurnOutputFormat {
  /** The schema's name, as OpenAI's `json_schema.name` allows it: letters, digits, `_` and `-`, at most 64. */
  readonly name: string;
  /** A JSON Schema whose root is an object. */
  readonly schema: Readonly<Record<string, unknown>>;
}

/** Settings of one model turn; each unset one is the model's own. */
export interface TurnSettings {
  /** Sampling temperature. Default the model's (its models-file `temperature`, 0 unless set). */
  readonly temperature?: number | undefined;
  /** The most tokens the turn may produce. Default the provider's. */
  readonly maxOutputTokens?: number | undefined;
  /**
   * The schema of the answer. Sent as OpenAI's `response_format` to a model
   * with structured output (the models file's `structuredOutput`), and to no
   * other; the caller validates the answer either way. Default none.
   */
  readonly outputFormat?: TurnOutputFormat | undefined;
}

/**
 * The settings one model is sent: the output format only when it supports
 * structured output. Undefined when nothing is set, so a turn without
 * settings has the same cache key as before settings existed.
 */
export function settingsForModel(settings: TurnSettings | undefined, structuredOutput: boolean): TurnSettings | undefined {
  if (settings === undefined) {
    return undefined;
  }
  const { temperature, maxOutputTokens } = settings;
  const outputFormat = structuredOutput ? settings.outputFormat : undefined;
  if (temperature === undefined && maxOutputTokens === undefined && outputFormat === undefined) {
    return undefined;
  }
  return { temperature, maxOutputTokens, outputFormat };
}

/**
 * OpenAI's `response_format` for a schema. `strict: false`: strict mode
 * refuses most of JSON Schema (every property required, no `minimum`, no
 * `format`), and the answer is validated after the call anyway.
 */
export function responseFormatOf(format: TurnOutputFormat) {
  return {
    type: "json_schema" as const,
    json_schema: { name: format.name, schema: { ...format.schema }, strict: false },
  };
}

/** A name OpenAI accepts for a schema, from any text (a prompt's name): other characters become `_`. */
export function outputFormatName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  return name === "" ? "output" : name;
}
