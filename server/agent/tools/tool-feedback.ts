/**
 * The text a model reads when its tool call fails. Each message starts with "Error", says what
 * went wrong, and says what to do next, so the model can correct itself on the next turn.
 */

/** Longest error detail quoted back to the model; more is noise, and may be internals. */
const maxDetailChars = 500;

/** Tells the model the tool it asked for does not exist, and which ones do. */
export function unknownToolMessage(requestedName: string, availableNames: readonly string[]): string {
  const available =
    availableNames.length === 0
      ? "No tools are available; answer without calling one."
      : `Available tools: ${availableNames.join(", ")}. Call one of them by its exact name.`;
  return `Error: there is no tool named ${quote(requestedName)}. ${available}`;
}

/** Tells the model its arguments were not JSON. */
export function invalidJsonMessage(toolName: string, parserMessage: string): string {
  return (
    `Error: invalid arguments for ${toolName}: the arguments were not valid JSON (${clip(parserMessage)}). ` +
    "Call the tool again with a JSON object matching its schema."
  );
}

/** Tells the model which arguments broke the tool's schema (see `formatArgumentIssues`). */
export function invalidArgumentsMessage(toolName: string, issueSummary: string): string {
  return (
    `Error: invalid arguments for ${toolName}: ${issueSummary}. ` +
    "Call the tool again with arguments matching its schema."
  );
}

/** Tells the model the tool was stopped at its timeout. */
export function timeoutMessage(toolName: string, timeoutMs: number): string {
  return (
    `Error: ${toolName} did not finish within ${timeoutMs} ms and was stopped. ` +
    "Try again with a simpler request, or continue without it."
  );
}

/** Tells the model the tool failed, quoting only the error's message. */
export function failedMessage(toolName: string, error: unknown): string {
  return (
    `Error: ${toolName} failed: ${stripFinalPeriod(clip(errorText(error)))}. ` +
    "Fix the arguments and call it again, or continue without it."
  );
}

function errorText(error: unknown): string {
  // The message only, never the stack or other properties: those describe our internals, not
  // anything the model can change.
  if (error instanceof Error && error.message.trim() !== "") {
    return error.message.trim();
  }
  if (typeof error === "string" && error.trim() !== "") {
    return error.trim();
  }
  return "the tool reported no reason";
}

function clip(text: string): string {
  return text.length <= maxDetailChars ? text : `${text.slice(0, maxDetailChars)}…`;
}

function stripFinalPeriod(text: string): string {
  return text.endsWith(".") ? text.slice(0, -1) : text;
}

function quote(name: string): string {
  // The name comes from the model; JSON quoting keeps odd characters readable and bounded.
  return JSON.stringify(name.length <= 64 ? name : `${name.slice(0, 64)}…`);
}
