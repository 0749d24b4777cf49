import { createHash } from "node:crypto";
import type { PromptContent } from "./prompt-content.js";

/** Hex characters of a version id: 64 bits, so a collision among a prompt's versions is not a concern. */
const versionIdLength = 16;

/**
 * The canonical JSON of a version's content: what its id is the hash of and
 * what the store keeps. Object keys are sorted by UTF-16 code unit at every
 * depth, undefined fields are left out, no whitespace, numbers and strings
 * as `JSON.stringify` writes them: the JSON Canonicalization Scheme (RFC
 * 8785) for the values a content holds. `inputVariables` and `tools` are
 * sets, so they are written sorted and without duplicates whatever order a
 * caller built them in; message order is meaning and is kept.
 *
 * Written by hand rather than by sorting an object's keys and calling
 * `JSON.stringify`, which would put integer-like keys (`"10"`, `"2"`) first
 * in numeric order whatever the sort said. Throws a `TypeError` for a value
 * that has no JSON form (a non-finite number, a function, undefined in a list).
 */
export function canonicalPromptJson(content: PromptContent): string {
  return canonicalJson({
    ...content,
    inputVariables: [...new Set(content.inputVariables)].sort(),
    tools: [...new Set(content.tools)].sort(),
  });
}

/**
 * The version id of `content`: the first 16 hex characters of the SHA-256 of
 * its {@link canonicalPromptJson}. The same content always has the same id,
 * however its keys were ordered; any change to it changes the id.
 */
export function promptVersionId(content: PromptContent): string {
  return createHash("sha256").update(canonicalPromptJson(content)).digest("hex").slice(0, versionIdLength);
}

function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`${value} has no JSON form`);
      }
      return JSON.stringify(value);
    case "object":
      if (value === null) {
        return "null";
      }
      if (Array.isArray(value)) {
        return `[${value.map((item: unknown) => canonicalJson(item)).join(",")}]`;
      }
      return canonicalObject(value as Readonly<Record<string, unknown>>);
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
}

function canonicalObject(value: Readonly<Record<string, unknown>>): string {
  const fields: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const field = value[key];
    // An undefined field is an absent one, as JSON.stringify treats it.
    if (field !== undefined) {
      fields.push(`${JSON.stringify(key)}:${canonicalJson(field)}`);
    }
  }
  return `{${fields.join(",")}}`;
}
