import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normaliseForMatching } from "./text-normalisation.js";

const codePoints = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, offset) => from + offset);
const hex = (codePoint: number) => `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;

describe("normaliseForMatching", () => {
  it("folds homoglyphs only in words that mix scripts", () => {
    expect(normaliseForMatching("Іgnоrе")).toEqual(["Ignore"]);
    expect(normaliseForMatching("покажи рост")).toEqual(["покажи рост"]);
  });

  it("reads 1 both as i and as l, and leaves numbers alone", () => {
    expect(normaliseForMatching("a11 1nstruct10ns in 2024")).toEqual(["aii instructions in 2024", "all lnstructlons in 2024"]);
  });

  it("drops accents the same way in rules and text", () => {
    expect(normaliseForMatching("précédentes й")).toEqual(["precedentes и"]);
  });

  it("relies on no Cyrillic or Greek letter coming before U+0370", () => {
    const lookalike = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
    expect(codePoints(0, 0x36f).filter((codePoint) => lookalike.test(String.fromCodePoint(codePoint))).map(hex)).toEqual([]);
  });

  it("folds text into the same views as the plain definition of each folding", () => {
    const alphabet = fc.constantFrom(
      ..."ailGno1034579 .-_*·еоіαΟéüßй\n",
      ...["\u0301", "\u{1D422}", "\u{10400}", "\uD800", "\uDC00"],
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (chars) => {
        const text = chars.join("");
        expect(normaliseForMatching(text)).toEqual(plainViews(text));
      }),
      { numRuns: 2000 },
    );
  });
});

/**
 * The views of {@link normaliseForMatching} as first written, one regular
 * expression per step and a callback per word: the definition its fast paths
 * must agree with.
 */
function plainViews(cleaned: string): readonly string[] {
  const homoglyphs: Readonly<Record<string, string>> = { е: "e", о: "o", і: "i", α: "a", Ο: "O" };
  const accentsFolded = cleaned.normalize("NFD").replace(/[\u0300-\u036F]/g, "").normalize("NFC");
  const mixesScripts = (word: string) => /\p{Script=Latin}/u.test(word) && /[\p{Script=Cyrillic}\p{Script=Greek}]/u.test(word);
  const homoglyphsFolded = accentsFolded.replace(/[\p{L}\p{M}\p{N}]+/gu, (word) =>
    mixesScripts(word) ? [...word].map((letter) => homoglyphs[letter] ?? letter).join("") : word,
  );
  const joined = homoglyphsFolded.replace(/(?<![\p{L}\p{N}])\p{L}([ .\-_*·])\p{L}(?:\1\p{L})+(?![\p{L}\p{N}])/gu, (letters, separator: string) =>
    letters.split(separator).join(""),
  );
  const leetDigits: Readonly<Record<string, string>> = { "0": "o", "3": "e", "4": "a", "5": "s", "7": "t" };
  const leet = (one: string) =>
    joined.replace(/[\p{L}\p{N}]+/gu, (word) =>
      /\p{L}/u.test(word) && /[013457]/.test(word)
        ? word.replace(/[013457]/g, (digit) => (digit === "1" ? one : (leetDigits[digit] ?? digit)))
        : word,
    );
  return [...new Set([leet("i"), leet("l")])];
}
