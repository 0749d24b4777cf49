import type { ComponentChildren } from "preact";

/** The placeholder the service's output redaction writes: `[REDACTED:<kind>]`. */
const placeholder = /\[REDACTED:([a-z_]+)\]/g;

/** Text with each redaction placeholder marked and explained in its title. */
export function RedactedText({ text }: { readonly text: string }) {
  const parts: ComponentChildren[] = [];
  let from = 0;
  for (const match of text.matchAll(placeholder)) {
    const at = match.index;
    if (at > from) {
      parts.push(text.slice(from, at));
    }
    const kind = (match[1] ?? "").replace(/_/g, " ");
    const article = /^[aeiou]/.test(kind) ? "an" : "a";
    parts.push(
      <mark key={at} class="redacted" title={`Redacted by the service: ${article} ${kind} was removed from the output`}>
        {match[0]}
      </mark>,
    );
    from = at + match[0].length;
  }
  if (from < text.length) {
    parts.push(text.slice(from));
  }
  return <>{parts}</>;
}
