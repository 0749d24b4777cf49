/**
 * The prompt-injection screen: the rules of `injection-rules.ts` compiled
 * once, and each text screened against them as received, normalised
 * (`text-normalisation.ts`) and, for encoded runs, decoded
 * (`payload-decoders.ts`), with the prefilter (`pattern-prefilter.ts`)
 * sparing the patterns that cannot match. This file owns what a hit is and
 * how hits become a verdict; the mechanisms live beside it.
 */
import { type InjectionCategory, type InjectionRule, injectionRules } from "./injection-rules.js";
import { createLiteralScanner, type Literal, type LiteralScanner } from "./literal-scanner.js";
import { candidatePatterns, type CompiledPattern, compilePattern, indexPatterns, matchesWhereItCan, type Prefilter } from "./pattern-prefilter.js";
import { payloadDecoders } from "./payload-decoders.js";
import { cleanText, foldAccents, normaliseForMatching } from "./text-normalisation.js";

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
  /**
   * Whether a text pattern is skipped when the text lacks a literal that
   * every match of the pattern contains, and tried only where its leading
   * literals occur (see `pattern-prefilter.ts`). It changes the cost, never
   * the verdict. Default true; false runs every pattern over every view, as
   * the reference that tests and benchmarks compare against.
   */
  readonly prefilter?: boolean;
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
 * `screen` call then runs the patterns over a few views of the text, and no
 * pattern backtracks without bound, so screening is linear in the text. One
 * pass over each view first finds which literals it contains, so that a
 * pattern runs only where it could match (see `prefilter`).
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
  const { rules: compiled, literals } = compileRules(options.rules ?? injectionRules);
  const scanner = options.prefilter === false || literals.length === 0 ? undefined : createLiteralScanner(literals);
  const bySource = { input: forSource(compiled, "input", scanner), "tool-result": forSource(compiled, "tool-result", scanner) };

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
  /** For text rules, the same patterns with what the prefilter knows of each; otherwise empty. */
  readonly patterns: readonly CompiledPattern[];
}

interface RulesBySource {
  readonly characters: readonly CompiledRule[];
  /** Matches where any character rule does; undefined when the patterns cannot be joined into one. */
  readonly anyCharacterRule: RegExp | undefined;
  readonly text: readonly CompiledRule[];
  readonly payload: readonly CompiledRule[];
  /** The text rules' patterns by literal, with the scanner that finds the literals; undefined when the prefilter is off. */
  readonly prefilter: Prefilter<CompiledRule> | undefined;
}

function compileRules(rules: readonly InjectionRule[]): { rules: readonly CompiledRule[]; literals: readonly Literal[] } {
  const ids = new Set<string>();
  const literals = new Map<string, Literal>();
  const literalId = (text: string, leading = false) => {
    const known = literals.get(text) ?? { id: literals.size, text, leading: false };
    literals.set(text, { ...known, leading: known.leading || leading });
    return known.id;
  };
  const compiled = rules.map((rule, order) => {
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
    const sources = rule.patterns.map((source) => (rule.match === "text" ? foldAccents(source) : source));
    const regexes = sources.map((source, index) => {
      try {
        return new RegExp(source, flags);
      } catch (cause) {
        throw new Error(`injection rule ${rule.id}: pattern ${index} is not a valid regular expression`, { cause });
      }
    });
    const patterns = rule.match !== "text" ? [] : regexes.map((regex, index) => compilePattern(regex, sources[index] ?? "", literalId));
    return { rule, order, regexes, patterns };
  });
  return { rules: compiled, literals: [...literals.values()] };
}

function forSource(compiled: readonly CompiledRule[], source: ScreenedSource, scanner: LiteralScanner | undefined): RulesBySource {
  const applicable = compiled.filter(({ rule }) => rule.appliesTo === undefined || rule.appliesTo === source);
  const text = applicable.filter(({ rule }) => rule.match === "text");
  const characters = applicable.filter(({ rule }) => rule.match === "characters");
  return {
    characters,
    anyCharacterRule: scanner === undefined ? undefined : joinPatterns(characters.flatMap(({ regexes }) => regexes)),
    text,
    payload: applicable.filter(({ rule }) => rule.match === "payload"),
    prefilter: scanner === undefined ? undefined : indexPatterns(text, scanner),
  };
}

/**
 * One regular expression that matches where any of `regexes` does, so that a
 * text none of them matches is read once rather than once each. Patterns with
 * groups are not joined: a back-reference would name another group.
 */
function joinPatterns(regexes: readonly RegExp[]): RegExp | undefined {
  const flags = regexes[0]?.flags;
  // Matching the empty string, `pattern|` returns one element per group, plus the match.
  const groupless = regexes.every((regex) => new RegExp(`${regex.source}|`, regex.flags).exec("")?.length === 1);
  if (regexes.length < 2 || !groupless || regexes.some((regex) => regex.flags !== flags)) {
    return undefined;
  }
  return new RegExp(regexes.map(({ source }) => `(?:${source})`).join("|"), flags);
}

function findHits(text: string, rules: RulesBySource): Set<CompiledRule> {
  const hits = new Set<CompiledRule>();
  if (rules.anyCharacterRule?.test(text) !== false) {
    for (const rule of rules.characters) {
      if (rule.regexes.some((regex) => regex.test(text))) {
        hits.add(rule);
      }
    }
  }
  const cleaned = cleanText(text);
  for (const rule of textHits(rules, normaliseForMatching(cleaned))) {
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
      const inner = textHits(rules, normaliseForMatching(cleanText(decoded)));
      if (inner.size > 0) {
        hits.add(rule);
        inner.forEach((innerRule) => hits.add(innerRule));
      }
    }
  }
  return hits;
}

function textHits(rules: RulesBySource, views: readonly string[]): Set<CompiledRule> {
  const { prefilter } = rules;
  if (prefilter === undefined) {
    return new Set(rules.text.filter((rule) => rule.regexes.some((regex) => views.some((view) => regex.test(view)))));
  }
  const hits = new Set<CompiledRule>();
  for (const view of views) {
    const found = prefilter.scanner.scan(view);
    for (const index of candidatePatterns(prefilter, found)) {
      const entry = prefilter.patterns[index];
      if (entry !== undefined && !hits.has(entry.rule) && matchesWhereItCan(entry.pattern, view, found)) {
        hits.add(entry.rule);
      }
    }
  }
  return hits;
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
