/**
 * One labelled text of the prompt-injection corpus.
 *
 * - `kind: "direct"` is what a caller sends as input, screened with `screen`;
 *   `"indirect"` is what a tool returns (a web page, an email, a CSV file, an
 *   API answer), screened with `screenToolResult`.
 * - `split: "holdout"` cases were written before any rule and are never used
 *   to tune the rules; rules are tuned on `"dev"` only.
 */
export interface CorpusCase {
  readonly text: string;
  readonly label: "attack" | "benign";
  readonly kind: "direct" | "indirect";
  /** BCP 47 language of the text, or `mixed`. */
  readonly lang: string;
  /** What the case is for: the style of attack, or the trap in a benign text. */
  readonly note: string;
  readonly split: "dev" | "holdout";
}

/** Marks every case of one corpus file with its split. */
export function inSplit(split: CorpusCase["split"], cases: readonly Omit<CorpusCase, "split">[]): readonly CorpusCase[] {
  return cases.map((corpusCase) => ({ ...corpusCase, split }));
}

// The encodings attackers use to smuggle an instruction past a filter, so that
// cases can be written as the plain instruction they hide.

/** `text` as standard base64 of its UTF-8 bytes. */
export function asBase64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** `text` as lowercase hex of its UTF-8 bytes, with `separator` between bytes. */
export function asHex(text: string, separator = ""): string {
  return Buffer.from(text, "utf8").toString("hex").match(/../g)?.join(separator) ?? "";
}

/** `text` with ASCII letters rotated by 13. */
export function asRot13(text: string): string {
  return text.replace(/[a-z]/gi, (letter) => {
    const base = letter <= "Z" ? 65 : 97;
    return String.fromCharCode(((letter.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/** `text` with every UTF-8 byte percent-encoded, as an attacker would, not only the reserved ones. */
export function asUrlEncoded(text: string): string {
  return [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0").toUpperCase()}`).join("");
}

/** `text` (ASCII) as invisible Unicode tag characters, U+E0000 plus each code. */
export function asTagCharacters(text: string): string {
  return [...text].map((char) => String.fromCodePoint(0xe0000 + char.charCodeAt(0))).join("");
}

/** `text` with a zero-width space after every character, which splits every word for a naive filter. */
export function withZeroWidth(text: string): string {
  return [...text].join("\u200b");
}
