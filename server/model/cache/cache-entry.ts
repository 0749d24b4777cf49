import type { z } from "zod";

/**
 * How a cached value is stored in both tiers: JSON of `{"v": version, "value": ...}`.
 * The version travels with the value so that a reader of another format
 * version treats it as a miss instead of serving something it cannot read.
 */
export interface CacheEntryCodec<T> {
  /** Serializes `value` with the codec's version. */
  encode(value: T): string;
  /** The value stored in `text`, or why it cannot be used. */
  decode(text: string): DecodedEntry<T>;
}

/** What decoding a stored entry gave. */
export type DecodedEntry<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: "malformed" | "version" | "schema" };

/** Creates the codec for one format `version`, validating values with `schema`. */
export function createCacheEntryCodec<T>(version: number, schema: z.ZodType<T>): CacheEntryCodec<T> {
  return {
    encode(value) {
      return JSON.stringify({ v: version, value });
    },
    decode(text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { ok: false, reason: "malformed" };
      }
      if (typeof parsed !== "object" || parsed === null || !("v" in parsed) || !("value" in parsed)) {
        return { ok: false, reason: "malformed" };
      }
      if (parsed.v !== version) {
        return { ok: false, reason: "version" };
      }
      const checked = schema.safeParse(parsed.value);
      return checked.success ? { ok: true, value: checked.data } : { ok: false, reason: "schema" };
    },
  };
}
