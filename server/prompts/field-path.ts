/** A key of a JSON value or a definition: an object key, or an array index. */
export type FieldKey = string | number;

/** Keys that read as `a.b`; any other key is quoted, `a["first name"]`. */
const plainKey = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * `path` as a person writes it, after `root`: `messages[1].template`,
 * `outputSchema.properties["first name"]`, `$.items[0].price`. With the
 * default empty root, the empty path is the empty string.
 */
export function formatFieldPath(path: readonly FieldKey[], root = ""): string {
  let text = root;
  for (const key of path) {
    if (typeof key === "number") {
      text += `[${key}]`;
    } else if (plainKey.test(key)) {
      text += text === "" ? key : `.${key}`;
    } else {
      text += `[${JSON.stringify(key)}]`;
    }
  }
  return text;
}

/**
 * The keys of a JSON Pointer (RFC 6901, as Ajv reports `instancePath`) into
 * `value`. A segment is an index where the value it walks is an array, so
 * `/items/0` is `items[0]` and the object key `"0"` stays a key.
 */
export function keysOfPointer(pointer: string, value: unknown): FieldKey[] {
  if (pointer === "") {
    return [];
  }
  const keys: FieldKey[] = [];
  let current = value;
  for (const segment of pointer.slice(1).split("/")) {
    const key = segment.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(current)) {
      const index = Number(key);
      keys.push(index);
      current = current[index];
    } else {
      keys.push(key);
      current = typeof current === "object" && current !== null && Object.hasOwn(current, key) ? (current as Record<string, unknown>)[key] : undefined;
    }
  }
  return keys;
}
