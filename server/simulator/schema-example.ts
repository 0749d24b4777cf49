/**
 * A JSON value made up from a JSON Schema, deterministically: what the simulated model answers in
 * structured-output mode. Objects get every declared property (and every required one), `const`
 * and `enum` their first value, strings a short text (or a sample of their `format`), numbers a
 * value inside their bounds, booleans `true`, arrays one item (or `minItems`), and deeper than
 * eight levels only what is required, so that recursive schemas end; `$ref` (local, `#/…`),
 * `allOf`, `anyOf` and `oneOf` (the first alternative) are followed. Enough for the schemas that
 * prompts declare, not a solver: `pattern`, `uniqueItems`, `not` and conditionals are not read, so
 * for those the answer may not validate (the service validates every answer anyway).
 */

type Schema = Readonly<Record<string, unknown>>;

/** How deep the generator follows nested or recursive schemas before it answers `null`. */
const maxDepth = 32;

/**
 * From this depth on, only what is required is made: no optional property, no array item beyond
 * `minItems`, so a recursive schema (a tree of nodes with optional children) ends.
 */
const optionalDepth = 8;

/** Samples of the string formats JSON Schema defines, each valid for its format. */
const formatSamples: Readonly<Record<string, string>> = {
  "date-time": "2025-01-01T00:00:00Z",
  date: "2025-01-01",
  time: "00:00:00Z",
  duration: "P1D",
  email: "user@example.com",
  hostname: "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  uri: "https://example.com/",
  "uri-reference": "https://example.com/",
  iri: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
};

/** A value that validates against `schema` (a JSON Schema, draft 2020-12), the same every time. */
export function schemaExample(schema: unknown): unknown {
  return exampleOf(schema, schema, 0);
}

function exampleOf(value: unknown, root: unknown, depth: number): unknown {
  if (!isSchemaObject(value) || depth > maxDepth) return null;
  const schema = resolved(value, root, depth);
  if ("const" in schema) return schema["const"];
  const choices = schema["enum"];
  if (Array.isArray(choices) && choices.length > 0) return choices[0];
  const next = (sub: unknown) => exampleOf(sub, root, depth + 1);
  switch (typeOf(schema)) {
    case "object":
      return objectExample(schema, next, depth >= optionalDepth);
    case "array":
      return arrayExample(schema, next, depth >= optionalDepth);
    case "string":
      return stringExample(schema);
    case "integer":
      return numberExample(schema, true);
    case "number":
      return numberExample(schema, false);
    case "boolean":
      return true;
    default:
      return null;
  }
}

/** The schema with its `$ref`, `allOf` and first `anyOf`/`oneOf` alternative merged in. */
function resolved(schema: Schema, root: unknown, depth: number): Schema {
  let merged: Schema = schema;
  for (let round = 0; round < maxDepth; round++) {
    const { $ref: ref, allOf, anyOf, oneOf, ...rest } = merged;
    const parts: unknown[] = [];
    if (typeof ref === "string") parts.push(pointerTarget(root, ref));
    if (Array.isArray(allOf)) parts.push(...allOf);
    const alternatives = Array.isArray(anyOf) ? anyOf : Array.isArray(oneOf) ? oneOf : [];
    if (alternatives.length > 0) parts.push(alternatives[0]);
    if (parts.length === 0 || depth + round > maxDepth) return merged;
    merged = parts.reduce<Schema>((into, part) => mergeSchemas(into, isSchemaObject(part) ? part : {}), rest);
  }
  return merged;
}

/** `b` over `a`, with `properties` merged and `required` joined, as `allOf` means for objects. */
function mergeSchemas(a: Schema, b: Schema): Schema {
  const properties = { ...asSchema(a["properties"]), ...asSchema(b["properties"]) };
  const required = [...stringsOf(a["required"]), ...stringsOf(b["required"])];
  return { ...a, ...b, ...(Object.keys(properties).length > 0 ? { properties } : {}), ...(required.length > 0 ? { required } : {}) };
}

/** The schema a local `$ref` (`#`, `#/$defs/x`) points at; `{}` (anything) when it points nowhere. */
function pointerTarget(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return {};
  let target: unknown = root;
  for (const token of ref.slice(1).split("/").slice(1)) {
    const key = decodeURIComponent(token).replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof target !== "object" || target === null || !Object.hasOwn(target, key)) return {};
    target = (target as Record<string, unknown>)[key];
  }
  return target;
}

/** The type to make: the declared one (the first that is not `null`, of a list), else the one the keywords imply. */
function typeOf(schema: Schema): string | undefined {
  const type = schema["type"];
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.find((entry) => entry !== "null") ?? type[0];
  const has = (...keys: string[]) => keys.some((key) => key in schema);
  if (has("properties", "required", "additionalProperties", "minProperties")) return "object";
  if (has("items", "prefixItems", "minItems", "maxItems")) return "array";
  if (has("minLength", "maxLength", "pattern", "format")) return "string";
  if (has("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")) return "number";
  return undefined;
}

function objectExample(schema: Schema, next: (sub: unknown) => unknown, requiredOnly: boolean): Record<string, unknown> {
  const properties = asSchema(schema["properties"]);
  const required = stringsOf(schema["required"]);
  const entries: [string, unknown][] = Object.entries(properties)
    .filter(([key]) => !requiredOnly || required.includes(key))
    .map(([key, sub]) => [key, next(sub)]);
  const extra = schema["additionalProperties"];
  for (const key of required) {
    if (!Object.hasOwn(properties, key)) entries.push([key, next(isSchemaObject(extra) ? extra : {})]);
  }
  // fromEntries defines own properties, so a `__proto__` property stays data.
  return Object.fromEntries(entries);
}

function arrayExample(schema: Schema, next: (sub: unknown) => unknown, requiredOnly: boolean): unknown[] {
  const prefix = Array.isArray(schema["prefixItems"]) ? schema["prefixItems"].map(next) : [];
  const items = schema["items"];
  const minItems = countOf(schema["minItems"]) ?? 0;
  const maxItems = countOf(schema["maxItems"]) ?? Number.POSITIVE_INFINITY;
  // One item unless the schema asks for more, or allows none beyond its prefix.
  let count = Math.min(Math.max(prefix.length === 0 && !requiredOnly ? 1 : prefix.length, minItems), maxItems);
  if (items === false) count = Math.min(count, prefix.length);
  const result = prefix.slice(0, count);
  while (result.length < count) result.push(next(items === undefined ? {} : items));
  return result;
}

function stringExample(schema: Schema): string {
  const format = schema["format"];
  let text = (typeof format === "string" ? formatSamples[format] : undefined) ?? "text";
  const minLength = countOf(schema["minLength"]) ?? 0;
  const maxLength = countOf(schema["maxLength"]);
  if (text.length < minLength) text += "x".repeat(minLength - text.length);
  if (maxLength !== undefined && text.length > maxLength) text = text.slice(0, maxLength);
  return text;
}

function numberExample(schema: Schema, integer: boolean): number {
  const minimum = numberOf(schema["minimum"]);
  const maximum = numberOf(schema["maximum"]);
  const exclusiveMinimum = numberOf(schema["exclusiveMinimum"]);
  const exclusiveMaximum = numberOf(schema["exclusiveMaximum"]);
  const fits = (value: number) =>
    (minimum === undefined || value >= minimum) &&
    (maximum === undefined || value <= maximum) &&
    (exclusiveMinimum === undefined || value > exclusiveMinimum) &&
    (exclusiveMaximum === undefined || value < exclusiveMaximum);
  const low = minimum ?? exclusiveMinimum;
  const high = maximum ?? exclusiveMaximum;
  let value = integer ? 1 : 0.5;
  if (!fits(value)) {
    // Between two bounds, the middle; beside one, the bound itself, or one past it when it is exclusive.
    if (low !== undefined && high !== undefined) value = (low + high) / 2;
    else if (low !== undefined) value = minimum ?? low + 1;
    else if (high !== undefined) value = maximum ?? high - 1;
  }
  if (integer) value = fits(Math.ceil(value)) ? Math.ceil(value) : Math.floor(value);
  const step = numberOf(schema["multipleOf"]);
  if (step !== undefined && step > 0) value = Math.ceil(value / step) * step;
  return value;
}

function isSchemaObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asSchema(value: unknown): Schema {
  return isSchemaObject(value) ? value : {};
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === "string") : [];
}

function numberOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function countOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}
