/**
 * How deep {@link errorChain} follows causes by default. A provider failure is
 * at most four deep (LangChain → OpenAI SDK → fetch → undici → system error);
 * the bound also stops a cause cycle.
 */
export const defaultErrorChainDepth = 8;

/**
 * An error and everything that caused it, outermost first: its `cause`, and
 * each of an `AggregateError`'s `errors` (Node reports a refused connection to
 * a name with several addresses as one). Breadth-first, each object once, at
 * most `maxDepth` levels below `err`. Like connect-node `unwrapNodeErrorChain`,
 * it reads structure only, never names or messages.
 */
export function* errorChain(err: unknown, maxDepth: number = defaultErrorChainDepth): Generator<unknown, void, undefined> {
  const seen = new Set<unknown>();
  let level: unknown[] = [err];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const node of level) {
      if (seen.has(node)) {
        continue;
      }
      seen.add(node);
      yield node;
      if (node instanceof AggregateError) {
        next.push(...(node.errors as unknown[]));
      }
      if (typeof node === "object" && node !== null && "cause" in node && node.cause !== undefined) {
        next.push(node.cause);
      }
    }
    level = next;
  }
}
