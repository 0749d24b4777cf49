import type { Arbitrary } from "fast-check";

/** A generated value with the name of the generator that made it, for reports. */
export interface Labeled<T> {
  readonly value: T;
  readonly label: string;
}

/** Tags every value of `arbitrary` with `label`. */
export function labeled<T>(label: string, arbitrary: Arbitrary<T>): Arbitrary<Labeled<T>> {
  return arbitrary.map((value) => ({ value, label }));
}

/** Bytes of a string in UTF-8. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Joins byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
