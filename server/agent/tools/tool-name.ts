/**
 * The names a model can call: OpenAI's function-name rule, which other OpenAI-compatible
 * providers follow too.
 */
export const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Whether `name` is a name a model can call a tool by (see {@link toolNamePattern}).
 */
export function isValidToolName(name: string): boolean {
  return toolNamePattern.test(name);
}
