import type { JsonValue } from "./prompt-content.js";

/** How deep a value may nest: far beyond any real schema, well short of the stack. */
export const maxJsonDepth = 64;

/** A JSON copy, or where and why `value` is not JSON. */
export type FrozenJsonResult =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly path: readonly (string | number)[]; readonly problem: string };

/**
 * A deep, frozen copy of `value` when it is JSON: null, booleans, finite
 * numbers, strings, arrays and plain objects (as `JSON.parse`, YAML and a
 * Protobuf `Struct` give them), nested at most {@link maxJsonDepth} deep.
 *
 * A copy, so the caller cannot change a version after it is defined; plain
 * objects only, because a `Date` or a class instance would hash and store as
 * something other than what the caller wrote. Keys become own data
 * properties (`Object.fromEntries`), so a `__proto__` key stays a key.
 */
export function frozenJsonCopy(value: unknown): FrozenJsonResult {
  const path: (string | number)[] = [];
  try {
    return { ok: true, value: copy(value, path) };
  } catch (err) {
    if (err instanceof NotJson) {
      return { ok: false, path: [...path], problem: err.problem };
    }
    throw err;
  }
}

class NotJson {
  constructor(readonly problem: string) {}
}

function copy(value: unknown, path: (string | number)[]): JsonValue {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new NotJson(`${String(value)} is not a JSON number`);
    }
    return value;
  }
  if (path.length >= maxJsonDepth) {
    throw new NotJson(`nests deeper than ${maxJsonDepth} levels`);
  }
  if (Array.isArray(value)) {
    const items = value.map((item: unknown, index) => {
      path.push(index);
      const copied = copy(item, path);
      path.pop();
      return copied;
    });
    return Object.freeze(items);
  }
  if (typeof value === "object" && isPlainObject(value)) {
    const entries = Object.entries(value).map(([key, item]): [string, JsonValue] => {
      path.push(key);
      const copied = copy(item, path);
      path.pop();
      return [key, copied];
    });
    return Object.freeze(Object.fromEntries(entries));
  }
  throw new NotJson(`is not a JSON value (${describe(value)})`);
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === undefined) {
    return "undefined";
  }
  if (typeof value === "object" && value !== null) {
    // A class instance's constructor names it; an object without one is named by its tag.
    const constructorName: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return `a ${typeof constructorName === "string" && constructorName !== "" ? constructorName : Object.prototype.toString.call(value).slice(8, -1)}`;
  }
  return `a ${typeof value}`;
}
