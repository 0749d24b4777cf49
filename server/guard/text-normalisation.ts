/**
 * What the input screen's text rules are matched against: the text a reader
 * sees ({@link cleanText}: display order, JSON escapes resolved, NFKC,
 * invisibles stripped) and its views with accents, mixed-script homoglyphs,
 * spaced-out letters and leetspeak folded ({@link normaliseForMatching}).
 * Apart from the screen because it is about text, not rules: the tool-result
 * quoting strips invisibles with it too, and its fast paths are checked
 * against a plain definition of each folding on their own.
 */

/** Zero-width, bidi, tag and other invisible or default-ignorable characters. */
const invisibleCharacters =
  // eslint-disable-next-line no-misleading-character-class -- a class of code points to remove; the combining ones are listed alone, not to combine
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
/** C0 and C1 controls other than tab, newline and carriage return. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const controlCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;

/** `text` without invisible characters, and with control characters as spaces. */
export function stripInvisibleCharacters(text: string): string {
  return text.replace(invisibleCharacters, "").replace(controlCharacters, " ");
}

/** A right-to-left override: what follows, up to the next bidi control, is displayed reversed. */
const rightToLeftOverride = /\u202E([^\u202A-\u202E\u2066-\u2069]{0,4096})/gu;
/** JSON string escapes, common in tool output: `\n`, `\"`, `\u0069`. */
const jsonEscape = /\\(?:u([0-9a-fA-F]{4})|([nrt"/\\]))/g;
const jsonEscaped: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", '"': '"', "/": "/", "\\": "\\" };

/**
 * The text a reader sees: right-to-left overrides read in display order,
 * JSON escapes resolved, NFKC (fullwidth and mathematical letters become
 * plain ones), invisibles stripped. Payload runs are looked for here.
 */
export function cleanText(text: string): string {
  const displayed = text.replace(rightToLeftOverride, (_, reversed: string) => [...reversed].reverse().join(""));
  const unescaped = displayed.replace(jsonEscape, (_, code: string | undefined, escaped: string) =>
    code === undefined ? (jsonEscaped[escaped] ?? escaped) : String.fromCharCode(Number.parseInt(code, 16)),
  );
  return stripInvisibleCharacters(unescaped.normalize("NFKC"));
}

/** Any character outside ASCII: text without one has no accents, homoglyphs or lookalike letters to fold. */
const nonAscii = /[\u0080-\uFFFF]/;

/** `text` without combining accents (é → e, й → и), recomposed. Rule patterns get the same treatment. */
export function foldAccents(text: string): string {
  // ASCII is its own NFD and NFC and has no combining marks.
  return nonAscii.test(text) ? text.normalize("NFD").replace(/[\u0300-\u036F]/g, "").normalize("NFC") : text;
}

/** Cyrillic and Greek letters that look like Latin ones. */
const homoglyphs: Readonly<Record<string, string>> = {
  а: "a", в: "b", е: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y", х: "x", і: "i", ј: "j", ѕ: "s", ԁ: "d", һ: "h", ӏ: "l",
  А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", У: "Y", Х: "X", І: "I", Ј: "J", Ѕ: "S",
  α: "a", β: "b", ε: "e", ι: "i", κ: "k", ν: "v", ο: "o", ρ: "p", τ: "t", υ: "u", χ: "x",
  Α: "A", Β: "B", Ε: "E", Ζ: "Z", Η: "H", Ι: "I", Κ: "K", Μ: "M", Ν: "N", Ο: "O", Ρ: "P", Τ: "T", Υ: "Y", Χ: "X",
};
const word = /[\p{L}\p{M}\p{N}]+/gu;
const latinLetter = /\p{Script=Latin}/u;
const lookalikeLetter = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
/** Characters below the Greek block, none of them Cyrillic or Greek (a test checks): removed before looking for one. */
const belowGreek = /[^\u0370-\uFFFF]+/g;

/**
 * Words mixing Latin with Cyrillic or Greek letters, spelled in Latin only.
 * Words in one script are left alone, so Russian and Greek text keeps
 * matching its own rules.
 */
function foldHomoglyphs(text: string): string {
  // Without a Cyrillic or Greek letter no word mixes scripts. Looking for one
  // among the characters left once those below the Greek block are removed
  // costs far less than a callback per word.
  if (!nonAscii.test(text) || !lookalikeLetter.test(text.replace(belowGreek, ""))) {
    return text;
  }
  return text.replace(word, (candidate) =>
    latinLetter.test(candidate) && lookalikeLetter.test(candidate)
      ? [...candidate].map((letter) => homoglyphs[letter] ?? letter).join("")
      : candidate,
  );
}

/** Three or more single letters joined by one repeated separator: `i g n o r e`, `i.g.n.o.r.e`. */
const spacedLetters = /(?<![\p{L}\p{N}])\p{L}([ .\-_*·])\p{L}(?:\1\p{L})+(?![\p{L}\p{N}])/gu;
/**
 * What every run of {@link spacedLetters} contains, in classes that are
 * cheap to test: a letter not preceded by an ASCII letter or digit, a
 * separator, a letter, the same separator and a letter, where a "letter" is
 * any character but an ASCII non-letter (a superset). Most texts have none,
 * and are spared the replace.
 */
const spacedLettersCandidate = /(?<=(?<![A-Za-z0-9])[A-Za-z\u0080-\u{10FFFF}])([ .\-_*·])[A-Za-z\u0080-\u{10FFFF}]\1[A-Za-z\u0080-\u{10FFFF}]/u;

function joinSpacedLetters(text: string): string {
  return spacedLettersCandidate.test(text) ? text.replace(spacedLetters, (letters, separator: string) => letters.split(separator).join("")) : text;
}

/** The digits leetspeak reads as letters: one to find words by, one to replace within a word. */
const leetDigit = /[013457]/g;
const leetDigitInWord = /[013457]/g;
const leetDigits: Readonly<Record<string, string>> = { "0": "o", "3": "e", "4": "a", "5": "s", "7": "t" };
const letterOrNumber = /[\p{L}\p{N}]/u;
const anyLetter = /\p{L}/u;

/**
 * The text with words (runs of letters and numbers) that mix letters and
 * digits read as letters (`1gn0r3` → `ignore`); numbers alone stay numbers.
 * `1` stands for both `i` and `l`: a second view reads it as `l` when the
 * text has such a `1`.
 */
function leetspeakViews(text: string): readonly string[] {
  // Only words with one of the digits can change, so the scan goes from digit
  // to digit and finds each one's word around it, rather than visiting every word.
  let asI = "";
  let asL = "";
  let copied = 0;
  let readsOne = false;
  leetDigit.lastIndex = 0;
  for (let digit = leetDigit.exec(text); digit !== null; digit = leetDigit.exec(text)) {
    const start = wordStartBefore(text, digit.index);
    const end = wordEndAfter(text, digit.index + 1);
    const candidate = text.slice(start, end);
    if (anyLetter.test(candidate)) {
      const before = text.slice(copied, start);
      const readAsI = readLeetspeak(candidate, "i");
      asI += before + readAsI;
      const hasOne = candidate.includes("1");
      asL += before + (hasOne ? readLeetspeak(candidate, "l") : readAsI);
      readsOne ||= hasOne;
      copied = end;
    }
    leetDigit.lastIndex = end;
  }
  if (copied === 0) {
    return [text];
  }
  const rest = text.slice(copied);
  return readsOne ? [asI + rest, asL + rest] : [asI + rest];
}

function readLeetspeak(word: string, one: "i" | "l"): string {
  return word.replace(leetDigitInWord, (digit) => (digit === "1" ? one : (leetDigits[digit] ?? digit)));
}

/** Where the run of letters and numbers that ends at `index` starts. */
function wordStartBefore(text: string, index: number): number {
  let start = index;
  while (start > 0) {
    const previous = text.charCodeAt(start - 1);
    const width = (previous & 0xfc00) === 0xdc00 && start > 1 && isHighSurrogate(text.charCodeAt(start - 2)) ? 2 : 1;
    if (!isLetterOrNumber(text, start - width)) {
      break;
    }
    start -= width;
  }
  return start;
}

/** Where the run of letters and numbers that goes on at `index` ends. */
function wordEndAfter(text: string, index: number): number {
  let end = index;
  while (end < text.length && isLetterOrNumber(text, end)) {
    end += (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  }
  return end;
}

/** Whether the UTF-16 unit `code` is the first of a surrogate pair. */
export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Whether the code point at `index` is a letter or a number; ASCII without a regular expression. */
function isLetterOrNumber(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code < 0x80) {
    return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  }
  return letterOrNumber.test(String.fromCodePoint(text.codePointAt(index) ?? code));
}

/**
 * The views of cleaned text that text rules are matched against: accents,
 * homoglyphs and spaced letters folded, then leetspeak read with `1` as `i`
 * and as `l` (one view when the two agree).
 */
export function normaliseForMatching(cleaned: string): readonly string[] {
  return leetspeakViews(joinSpacedLetters(foldHomoglyphs(foldAccents(cleaned))));
}
