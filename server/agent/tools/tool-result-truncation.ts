/**
 * Cuts `result` to at most `maxChars` characters and appends a marker saying how much was left
 * out, so the model knows it saw only part of it. Returns `result` unchanged when it fits.
 */
export function truncateToolResult(result: string, maxChars: number): string {
  if (result.length <= maxChars) {
    return result;
  }
  let end = maxChars;
  // Never split a surrogate pair: half an emoji is an invalid string for the JSON encoder downstream.
  if (isHighSurrogate(result.charCodeAt(end - 1))) {
    end -= 1;
  }
  return `${result.slice(0, end)}\n[truncated: showing the first ${end} of ${result.length} characters]`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
