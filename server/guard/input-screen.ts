import { type InjectionCategory, type InjectionRule, injectionRules, type PayloadDecoder } from "./injection-rules.js";

/** Options for {@link createInputScreen}. */
export interface InputScreenOptions {
  /**
   * Score at which a text is rejected (and a tool result flagged). Default
   * 10: one strong rule, or two or three weaker signals together (see
   * `injection-rules.ts`).
   */
  readonly threshold?: number;
  /** The rules to screen with. Default {@link injectionRules}. */
  readonly rules?: readonly InjectionRule[];
}

/** Where a screened text comes from: rules may apply to one source only. */
export type ScreenedSource = "input" | "tool-result";

/** One rule a text hit: its id and category, never the text it matched. */
export interface ScreenHit {
  readonly ruleId: string;
  readonly category: InjectionCategory;
}

/** The score of a text and the rules it hit, in rule order. */
export interface ScreenAssessment {
  readonly score: number;
  readonly hits: readonly ScreenHit[];
}

/**
 * Whether a caller's text may go to the model. It names rules, never the
 * text: a rejection's error may quote `rule` but must not echo the input.
 */
export interface ScreenVerdict extends ScreenAssessment {
  readonly allowed: boolean;
  /** When rejected, the hit with the highest weight (the first in rule order among equals). */
  readonly rule?: { readonly id: string; readonly description: string };
}

/** A prompt-injection screen, built once with its rules compiled. */
export interface InputScreen {
  readonly threshold: number;
  /** Screens a caller's input. */
  screen(text: string): ScreenVerdict;
  /** The score and hits of `text` read as coming from `source`, for screens built on this one. */
  assess(text: string, source: ScreenedSource): ScreenAssessment;
}

const defaultThreshold = 10;

/**
 * At most this many encoded runs are decoded per payload rule, each at most
 * 4 KiB (the run patterns' bound): a text full of base64 costs a bounded
 * amount of decoding, not a decode per run.
 */
const maxRunsPerPayloadRule = 16;

/**
 * Builds a prompt-injection screen. The rules are compiled here, once; each
 * `screen` call then runs every pattern over a few views of the text, and no
 * pattern backtracks without bound, so screening is linear in the text.
 *
 * What a text is matched as:
 * - character rules see the text as received;
 * - text rules see it normalised (see {@link normaliseForMatching}): NFKC,
 *   invisibles stripped, accents, mixed-script homoglyphs, spaced-out letters
 *   and leetspeak folded;
 * - payload rules find base64, hex, percent-encoded, rot13 and tag-character
 *   runs, decode them, and hit when the decoded text hits a text rule.
 *
 * Throws when `threshold` is not a positive number, or a rule is malformed
 * (duplicate id, no patterns, a weight that is not positive, a pattern that
 * does not compile), naming the rule.
 */
export function createInputScreen(options: InputScreenOptions = {}): InputScreen {
  const threshold = options.threshold ?? defaultThreshold;
  if (!Number.isFinite(threshold) || threshold <= 0) {
    throw new RangeError(`input screen threshold must be a positive number, got ${threshold}`);
  }
  const compiled = compileRules(options.rules ?? injectionRules);
  const bySource = { input: forSource(compiled, "input"), "tool-result": forSource(compiled, "tool-result") };

  /** The rules `text` hits, in rule order. */
  function hitRules(text: string, source: ScreenedSource): InjectionRule[] {
    return [...findHits(text, bySource[source])].sort((a, b) => a.order - b.order).map(({ rule }) => rule);
  }

  function assessmentOf(rules: readonly InjectionRule[]): ScreenAssessment {
    return Object.freeze({
      score: rules.reduce((sum, rule) => sum + rule.weight, 0),
      hits: Object.freeze(rules.map((rule) => Object.freeze({ ruleId: rule.id, category: rule.category }))),
    });
  }

  function screen(text: string): ScreenVerdict {
    const rules = hitRules(text, "input");
    const { score, hits } = assessmentOf(rules);
    if (score < threshold) {
      return Object.freeze({ allowed: true, score, hits });
    }
    // The first rule of the highest weight: the one an operator should read first.
    const strongest = rules.reduce((best, rule) => (rule.weight > best.weight ? rule : best));
    return Object.freeze({ allowed: false, score, hits, rule: Object.freeze({ id: strongest.id, description: strongest.description }) });
  }

  function assess(text: string, source: ScreenedSource): ScreenAssessment {
    return assessmentOf(hitRules(text, source));
  }

  return { threshold, screen, assess };
}

interface CompiledRule {
  readonly rule: InjectionRule;
  /** Position in the rule list, the order hits are reported in. */
  readonly order: number;
  /** For character and text rules, tested with `test`; for payload rules, global, to find runs. */
  readonly regexes: readonly RegExp[];
}

interface RulesBySource {
  readonly characters: readonly CompiledRule[];
  readonly text: readonly CompiledRule[];
  readonly payload: readonly CompiledRule[];
}

function compileRules(rules: readonly InjectionRule[]): readonly CompiledRule[] {
  const ids = new Set<string>();
  return rules.map((rule, order) => {
    if (ids.has(rule.id)) {
      throw new Error(`injection rule ${rule.id} is defined twice`);
    }
    ids.add(rule.id);
    if (!(rule.weight > 0) || !Number.isFinite(rule.weight)) {
      throw new Error(`injection rule ${rule.id} must have a positive weight, got ${rule.weight}`);
    }
    if (rule.patterns.length === 0) {
      throw new Error(`injection rule ${rule.id} has no patterns`);
    }
    // Payload patterns find runs in text that is not folded (folding would
    // corrupt base64), and need the global flag to find every run.
    const flags = rule.match === "payload" ? "giu" : "iu";
    const regexes = rule.patterns.map((source, index) => {
      try {
        return new RegExp(rule.match === "text" ? foldAccents(source) : source, flags);
      } catch (cause) {
        throw new Error(`injection rule ${rule.id}: pattern ${index} is not a valid regular expression`, { cause });
      }
    });
    return { rule, order, regexes };
  });
}

function forSource(compiled: readonly CompiledRule[], source: ScreenedSource): RulesBySource {
  const applicable = compiled.filter(({ rule }) => rule.appliesTo === undefined || rule.appliesTo === source);
  return {
    characters: applicable.filter(({ rule }) => rule.match === "characters"),
    text: applicable.filter(({ rule }) => rule.match === "text"),
    payload: applicable.filter(({ rule }) => rule.match === "payload"),
  };
}

function findHits(text: string, rules: RulesBySource): Set<CompiledRule> {
  const hits = new Set<CompiledRule>();
  for (const rule of rules.characters) {
    if (rule.regexes.some((regex) => regex.test(text))) {
      hits.add(rule);
    }
  }
  const cleaned = cleanText(text);
  for (const rule of textHits(rules.text, normaliseForMatching(cleaned))) {
    hits.add(rule);
  }
  for (const rule of rules.payload) {
    if (rule.rule.match !== "payload") {
      continue;
    }
    const decoder = payloadDecoders[rule.rule.decoder];
    for (const run of runsOf(rule, decoder.reads === "received" ? text : cleaned)) {
      const decoded = decoder.decode(run);
      if (decoded === undefined) {
        continue;
      }
      // The hidden text's own hits count too: hiding it adds to what it says.
      const inner = textHits(rules.text, normaliseForMatching(cleanText(decoded)));
      if (inner.length > 0) {
        hits.add(rule);
        inner.forEach((innerRule) => hits.add(innerRule));
      }
    }
  }
  return hits;
}

function textHits(rules: readonly CompiledRule[], views: readonly string[]): CompiledRule[] {
  return rules.filter((rule) => rule.regexes.some((regex) => views.some((view) => regex.test(view))));
}

function runsOf(rule: CompiledRule, text: string): string[] {
  const runs: string[] = [];
  for (const regex of rule.regexes) {
    for (const match of text.matchAll(regex)) {
      if (runs.length === maxRunsPerPayloadRule) {
        return runs;
      }
      runs.push(match[0]);
    }
  }
  return runs;
}

// Normalisation: what text rules are matched against.

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
function cleanText(text: string): string {
  const displayed = text.replace(rightToLeftOverride, (_, reversed: string) => [...reversed].reverse().join(""));
  const unescaped = displayed.replace(jsonEscape, (_, code: string | undefined, escaped: string) =>
    code === undefined ? (jsonEscaped[escaped] ?? escaped) : String.fromCharCode(Number.parseInt(code, 16)),
  );
  return stripInvisibleCharacters(unescaped.normalize("NFKC"));
}

/** `text` without combining accents (é → e, й → и), recomposed. Rule patterns get the same treatment. */
function foldAccents(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036F]/g, "").normalize("NFC");
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

/**
 * Words mixing Latin with Cyrillic or Greek letters, spelled in Latin only.
 * Words in one script are left alone, so Russian and Greek text keeps
 * matching its own rules.
 */
function foldHomoglyphs(text: string): string {
  return text.replace(word, (candidate) =>
    latinLetter.test(candidate) && lookalikeLetter.test(candidate)
      ? [...candidate].map((letter) => homoglyphs[letter] ?? letter).join("")
      : candidate,
  );
}

/** Three or more single letters joined by one repeated separator: `i g n o r e`, `i.g.n.o.r.e`. */
const spacedLetters = /(?<![\p{L}\p{N}])\p{L}([ .\-_*·])\p{L}(?:\1\p{L})+(?![\p{L}\p{N}])/gu;

function joinSpacedLetters(text: string): string {
  return text.replace(spacedLetters, (letters, separator: string) => letters.split(separator).join(""));
}

const leetWord = /[\p{L}\p{N}]+/gu;
const leetDigits: Readonly<Record<string, string>> = { "0": "o", "3": "e", "4": "a", "5": "s", "7": "t" };

/**
 * Words mixing letters and digits with the digits read as letters
 * (`1gn0r3` → `ignore`). Numbers alone stay numbers. `1` stands for both
 * `i` and `l`, hence the choice.
 */
function foldLeetspeak(text: string, one: "i" | "l"): string {
  return text.replace(leetWord, (candidate) =>
    /\p{L}/u.test(candidate) && /[013457]/.test(candidate)
      ? candidate.replace(/[013457]/g, (digit) => (digit === "1" ? one : (leetDigits[digit] ?? digit)))
      : candidate,
  );
}

/**
 * The views of cleaned text that text rules are matched against: accents,
 * homoglyphs and spaced letters folded, then leetspeak read with `1` as `i`
 * and as `l` (one view when the two agree).
 */
export function normaliseForMatching(cleaned: string): readonly string[] {
  const folded = joinSpacedLetters(foldHomoglyphs(foldAccents(cleaned)));
  return [...new Set([foldLeetspeak(folded, "i"), foldLeetspeak(folded, "l")])];
}

// Payload decoding.

interface PayloadDecoding {
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

const payloadDecoders: Readonly<Record<PayloadDecoder, PayloadDecoding>> = {
  base64: { reads: "cleaned", decode: decodeBase64 },
  hex: {
    reads: "cleaned",
    decode: (run) => {
      const digits = run.replace(/0x|\\x/gi, "").replace(/[^0-9a-f]/gi, "");
      return asText(Buffer.from(digits.slice(0, digits.length - (digits.length % 2)), "hex"));
    },
  },
  url: { reads: "cleaned", decode: (run) => asText(percentDecode(run)) },
  rot13: { reads: "cleaned", decode: (run) => run.replace(/[a-z]/gi, rotate13) },
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

function rotate13(letter: string): string {
  const base = letter <= "Z" ? 65 : 97;
  return String.fromCharCode(((letter.charCodeAt(0) - base + 13) % 26) + base);
}
