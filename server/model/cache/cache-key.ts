import { createHash } from "node:crypto";

/**
 * Derives a stable cache key from a request: the sha256 hex digest of its
 * canonical JSON, in which object keys are sorted at every depth and
 * `undefined` properties are dropped. Two requests that differ only in key
 * order or in absent-versus-undefined fields get the same key.
 *
 * The request must be JSON-serializable; values with `toJSON` (dates,
 * LangChain messages) are keyed by what `toJSON` returns, as `JSON.stringify`
 * would send them. Throws a `TypeError` for a request that has no JSON form.
 */
export function cacheKey(request: unknown): string {
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}

function canonicalJson(value: unknown): string {
  // The replacer sees every value after `toJSON`, so sorting here covers
  // nested objects as well as objects produced by `toJSON`.
  const json: string | undefined = JSON.stringify(value, (_key, nested: unknown) => (isJsonObject(nested) ? sortedKeys(nested) : nested));
  if (json === undefined) {
    throw new TypeError(`cannot derive a cache key from ${typeof value}`);
  }
  return json;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sortedKeys(value: Record<string, unknown>): Record<string, unknown> {
  // Object.fromEntries defines own properties, so a `__proto__` key stays data.
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, value[key]]),
  );
}
