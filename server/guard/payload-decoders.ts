/**
 * How the input screen reads a payload rule's encoded runs back as text:
 * base64, hex, percent-encoding, rot13 and Unicode tag characters, one
 * decoder per `PayloadDecoder` of `injection-rules.ts`. A run that does not
 * decode to text (an image, a digest) gives undefined, so only what an
 * encoding could be hiding is screened again.
 */
import type { PayloadDecoder } from "./injection-rules.js";

/** How the runs of one payload rule are found and decoded. */
export interface PayloadDecoding {
  /** Whether runs are found in the text as received (tag characters are stripped from the cleaned text) or cleaned. */
  readonly reads: "received" | "cleaned";
  /** The hidden text, or undefined when the run does not decode to text. */
  decode(run: string): string | undefined;
}

const utf8 = new TextDecoder("utf-8");
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const notText = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/gu;

/**
 * `bytes` as UTF-8 text, or undefined when they are not text: more than one
 * character in twenty invalid or a control character, as in an image. A few
 * are tolerated, for the junk bytes a run glued to neighbouring letters
 * decodes to at its ends.
 */
function asText(bytes: Uint8Array): string | undefined {
  const text = utf8.decode(bytes);
  const junk = text.match(notText)?.length ?? 0;
  return text.length > 0 && junk * 20 <= text.length ? text : undefined;
}

/**
 * A base64 run as text. The run may start off its four-character grid when
 * it is glued to the word before it (`isSWdub3Jl…`), so each of the four
 * alignments is tried and the first that reads as text wins.
 */
function decodeBase64(run: string): string | undefined {
  for (let offset = 0; offset < 4; offset++) {
    const text = asText(Buffer.from(run.slice(offset), "base64"));
    if (text !== undefined) {
      return text;
    }
  }
  return undefined;
}

/** The decoding of each payload rule's runs, by the rule's `decoder`. */
export const payloadDecoders: Readonly<Record<PayloadDecoder, PayloadDecoding>> = {
  base64: { reads: "cleaned", decode: decodeBase64 },
  hex: {
    reads: "cleaned",
    decode: (run) => {
      const digits = run.replace(/0x|\\x/gi, "").replace(/[^0-9a-f]/gi, "");
      return asText(Buffer.from(digits.slice(0, digits.length - (digits.length % 2)), "hex"));
    },
  },
  url: { reads: "cleaned", decode: (run) => asText(percentDecode(run)) },
  rot13: { reads: "cleaned", decode: rotate13 },
  "unicode-tags": {
    reads: "received",
    decode: (run) =>
      [...run]
        .map((char) => (char.codePointAt(0) ?? 0) - 0xe0000)
        .filter((code) => code >= 0x20 && code <= 0x7e)
        .map((code) => String.fromCharCode(code))
        .join(""),
  },
};

/** The bytes of a percent-encoded run; `+` is a space, as in a query string. */
function percentDecode(run: string): Uint8Array {
  const bytes: number[] = [];
  for (let at = 0; at < run.length; at++) {
    const hex = run.slice(at + 1, at + 3);
    if (run[at] === "%" && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      at += 2;
    } else {
      bytes.push(...Buffer.from(run[at] === "+" ? " " : (run[at] ?? ""), "utf8"));
    }
  }
  return Uint8Array.from(bytes);
}

/** `run` with its ASCII letters rotated by 13, in a loop: a callback per letter cost more than screening the result. */
function rotate13(run: string): string {
  let rotated = "";
  for (let at = 0; at < run.length; at++) {
    const code = run.charCodeAt(at);
    const base = code >= 0x61 && code <= 0x7a ? 0x61 : code >= 0x41 && code <= 0x5a ? 0x41 : -1;
    rotated += base < 0 ? run.charAt(at) : String.fromCharCode(((code - base + 13) % 26) + base);
  }
  return rotated;
}
