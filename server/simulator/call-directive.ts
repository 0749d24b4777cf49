import type { ToolArguments } from "./tool-intents.js";

/** A tool call a user message asks for by name with `#call`. */
export interface CallDirective {
  readonly name: string;
  readonly arguments: ToolArguments;
}

const directivePattern = /#call\s+([A-Za-z0-9_-]{1,64})/g;

/**
 * The `#call <tool> [<JSON object>]` directives in a user message, in order: each makes the
 * simulated model call that tool (when it is offered) with the object as its arguments, or with
 * `{}` when no object follows. This reaches tools the simulator knows nothing about, such as a
 * deployment's own tools or those of an MCP server. An object that does not parse counts as none.
 */
export function findCallDirectives(text: string): CallDirective[] {
  const directives: CallDirective[] = [];
  for (const match of text.matchAll(directivePattern)) {
    const name = match[1] ?? "";
    const rest = text.slice(match.index + match[0].length);
    const object = leadingJsonObject(rest);
    directives.push({ name, arguments: object ?? {} });
  }
  return directives;
}

/** The JSON object at the start of `text` (after whitespace), if one is there and parses. */
function leadingJsonObject(text: string): ToolArguments | undefined {
  const start = text.length - text.trimStart().length;
  if (text[start] !== "{") return undefined;
  const end = objectEnd(text, start);
  if (end === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text.slice(start, end));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as ToolArguments) : undefined;
  } catch {
    return undefined;
  }
}

/** Index just past the brace that closes the one at `start`, skipping braces inside strings. */
function objectEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === "\\") index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "{") {
      depth += 1;
    } else if (char === "}") {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  return undefined;
}
