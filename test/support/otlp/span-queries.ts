import type { ReceivedSpan } from "./received-span.js";

/**
 * The first span named `name`, in the order spans arrived.
 * @throws an error listing the names that are present when none matches.
 */
export function findSpan(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((candidate) => candidate.name === name);
  if (span === undefined) {
    throw new Error(`no span named "${name}"; received ${describeSpanNames(spans)}`);
  }
  return span;
}

/** The direct children of `parent` among `spans`, in the order they arrived. */
export function childrenOf(spans: readonly ReceivedSpan[], parent: ReceivedSpan): ReceivedSpan[] {
  return spans.filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId);
}

/**
 * The span names in `spans` for error messages: `3 spans: "a", "b" ×2`, or
 * `no spans`.
 */
export function describeSpanNames(spans: readonly ReceivedSpan[]): string {
  if (spans.length === 0) {
    return "no spans";
  }
  const counts = new Map<string, number>();
  for (const { name } of spans) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const names = [...counts].map(([name, count]) => (count === 1 ? `"${name}"` : `"${name}" ×${count}`));
  return `${spans.length} span${spans.length === 1 ? "" : "s"}: ${names.join(", ")}`;
}
