import { describe, expect, it } from "vitest";
import { injectionCorpus } from "../../test/guard/injection-corpus.js";
import { injectionRules } from "./injection-rules.js";
import { analysePattern } from "./pattern-literals.js";
import { normaliseForMatching } from "./text-normalisation.js";

const hex = (codePoint: number) => `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;

describe("analysePattern", () => {
  /** A pattern's source as the screen compiles it (accents folded, see `foldAccents`). */
  const asCompiled = (source: string) => source.normalize("NFD").replace(/[\u0300-\u036F]/g, "").normalize("NFC");
  /** The prefilter's alphabet: ASCII lowercased, long s and Kelvin sign as s and k, anything else one symbol. */
  const folded = (text: string) =>
    [...text]
      .map((char) => {
        const codePoint = char.codePointAt(0) ?? 0;
        return codePoint < 0x80 ? char.toLowerCase() : codePoint === 0x17f ? "s" : codePoint === 0x212a ? "k" : "\u0080";
      })
      .join("");
  const textPatterns = injectionRules
    .filter((rule) => rule.match === "text")
    .flatMap((rule) => rule.patterns.map((source) => ({ id: rule.id, source: asCompiled(source) })));

  it("relies on only the long s and the Kelvin sign matching an ASCII character under the iu flags", () => {
    // eslint-disable-next-line no-control-regex -- every ASCII character, controls too
    const ascii = /^[\u0000-\u007F]$/iu;
    const matching: number[] = [];
    for (let codePoint = 0x80; codePoint <= 0x10ffff; codePoint++) {
      if (ascii.test(String.fromCodePoint(codePoint))) {
        matching.push(codePoint);
      }
    }
    expect(matching.map(hex)).toEqual(["U+017F", "U+212A"]);
  });

  it.each([
    { source: String.raw`\bignore\s+(?:all|any)\s+rules?\b`, clauses: [["ignore"], ["all", "any"], ["rule"]], leading: ["ignore"] },
    { source: String.raw`\b(?:the\s+)?user's`, clauses: [["user's"]], leading: ["the", "user's"] },
    { source: String.raw`polic(?:y|ies)`, clauses: [["polic"], ["y", "ies"]], leading: ["polic"] },
    { source: String.raw`(?:follow|following|obey)\s+x`, clauses: [["follow", "following", "obey"], ["x"]], leading: ["follow", "obey"] },
    { source: String.raw`(?:^|\n)[ \t]*system:`, clauses: [["system:"]], leading: undefined },
    { source: String.raw`(?<![\p{L}])(?=ab)abc`, clauses: [["abc"]], leading: ["abc"] },
    { source: String.raw`[abc]def\d+`, clauses: [["def"]], leading: undefined },
    { source: String.raw`a?b`, clauses: [["b"]], leading: ["a", "b"] },
    { source: String.raw`x*(?:y|\s)`, clauses: [], leading: undefined },
    { source: String.raw`Ab\.C\u0044\x45\u{1F600}ſ\u212Aé`, clauses: [["ab.cde\u0080sk\u0080"]], leading: ["ab.cde\u0080sk\u0080"] },
    // What it cannot read it claims nothing about, so the pattern always runs.
    { source: String.raw`(a)\1b`, clauses: [], leading: undefined },
    { source: String.raw`\uD83D\uDE00`, clauses: [], leading: undefined },
    { source: String.raw`(?i:abc)`, clauses: [], leading: undefined },
  ])("reads the literals of $source", ({ source, clauses, leading }) => {
    expect(analysePattern(source)).toEqual(leading === undefined ? { clauses } : { clauses, leading });
  });

  it("claims only literals that every match of a rule pattern, in every corpus case, contains", () => {
    const views = injectionCorpus.flatMap((corpusCase) => normaliseForMatching(corpusCase.text));
    let checked = 0;
    for (const { id, source } of textPatterns) {
      const { clauses, leading } = analysePattern(source);
      const regex = new RegExp(source, "giu");
      for (const view of views) {
        for (const [match] of view.matchAll(regex)) {
          const text = folded(match);
          for (const clause of clauses) {
            expect(clause.some((literal) => text.includes(literal)), `${id} ${source}: ${JSON.stringify(clause)} in ${match}`).toBe(true);
          }
          if (leading !== undefined) {
            expect(leading.some((literal) => text.startsWith(literal)), `${id} ${source} starts ${match}`).toBe(true);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});
