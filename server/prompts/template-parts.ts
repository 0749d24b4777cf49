import { parseFString } from "@langchain/core/prompts";

/** A piece of a parsed template: text sent as it is, or the name of a variable. */
export type TemplatePart = { readonly literal: string } | { readonly variable: string };

/**
 * Parses a message template in LangChain's f-string format (`{name}` is a
 * variable, `{{` and `}}` are braces) into its parts, adjacent text merged.
 *
 * The parsing is LangChain's own `parseFString`, so a template means here
 * exactly what it means to a `ChatPromptTemplate`; merging the `{{`/`}}`
 * pieces into the text around them leaves rendering one concatenation per
 * part. Variable names are returned as written (`{ name }` is the variable
 * `" name "`); whether a name is allowed is the definition's rule. Throws
 * LangChain's `Error` for an unclosed `{` or a lone `}`.
 */
export function parseTemplateParts(template: string): readonly TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = "";
  for (const node of parseFString(template)) {
    if (node.type === "literal") {
      text += node.text;
      continue;
    }
    if (text !== "") {
      parts.push({ literal: text });
      text = "";
    }
    parts.push({ variable: node.name });
  }
  if (text !== "") {
    parts.push({ literal: text });
  }
  return parts;
}

/** The names of the variables among `parts`, in order of first use, each once. */
export function variablesOf(parts: readonly TemplatePart[]): string[] {
  const names = new Set<string>();
  for (const part of parts) {
    if ("variable" in part) {
      names.add(part.variable);
    }
  }
  return [...names];
}
