/**
 * The input screen's prefilter: each text pattern with the literals its
 * matches must contain (read by `pattern-literals.ts`), the patterns indexed
 * by those literals so that the literals the scanner finds in a view
 * (`literal-scanner.ts`) lead to the patterns that could match it, and an
 * anchored pattern tried only where its leading literals start. It changes
 * the cost of screening, never the verdict; the screen itself
 * (`input-screen.ts`) decides what a hit is.
 */
import type { LiteralOccurrences, LiteralScanner } from "./literal-scanner.js";
import { analysePattern, nonAsciiSymbol } from "./pattern-literals.js";

/** A text pattern and the literals its matches contain, as ids into the screen's literal list. */
export interface CompiledPattern {
  readonly regex: RegExp;
  /** Every match contains, for each clause, one of the clause's literals. */
  readonly clauses: readonly (readonly number[])[];
  /** When set, every match starts with one of these literals, and `sticky` is tried only where they start. */
  readonly leading?: readonly number[];
  readonly sticky?: RegExp;
}

/**
 * A single-character leading literal is too common to anchor on (and to
 * record every start of): such a pattern runs over the whole view.
 */
const minLeadingLength = 2;

/**
 * An anchored pattern runs over the whole view instead when its leading
 * literals start at more than one place in this many characters: past that,
 * one scan costs less than a sticky test at each place.
 */
const anchorSpacing = 16;

/**
 * Gives `regex` (compiled from `source`) what the prefilter knows of it: the
 * literals of its clauses and, when it can be anchored on them, its leading
 * literals and a sticky copy to try where they start. `literalId` names a
 * literal by its id in the screen's literal list, marking it `leading` when
 * some pattern is anchored on it.
 */
export function compilePattern(regex: RegExp, source: string, literalId: (text: string, leading?: boolean) => number): CompiledPattern {
  const { clauses, leading } = analysePattern(source);
  const clauseIds = clauses.map((clause) => clause.map((text) => literalId(text)));
  // Anchoring needs literals whose length in the text is known (ASCII),
  // and that are not single characters, too common to try at each.
  const anchorable = leading?.every((text) => text.length >= minLeadingLength && !text.includes(nonAsciiSymbol));
  if (leading === undefined || !anchorable) {
    return { regex, clauses: clauseIds };
  }
  const leadingIds = leading.map((text) => literalId(text, true));
  return { regex, clauses: clauseIds, leading: leadingIds, sticky: new RegExp(regex.source, "iuy") };
}

/**
 * The text patterns of one source's rules, indexed by the literals their
 * clauses name, so that a view's literals lead to the patterns they
 * satisfy: the work is in the literals found, not in the number of patterns.
 */
export interface Prefilter<Rule> {
  readonly scanner: LiteralScanner;
  /** Each pattern with the rule it belongs to. */
  readonly patterns: readonly { readonly pattern: CompiledPattern; readonly rule: Rule }[];
  /** The patterns without clauses: they run on every view. */
  readonly unconditional: readonly number[];
  /** By literal id, the clauses that name it (as indices into `patternOfClause`). */
  readonly clausesNaming: readonly (readonly number[] | undefined)[];
  readonly patternOfClause: readonly number[];
  /** How many clauses each pattern has. */
  readonly clauseCounts: Uint16Array;
  /** Scratch for {@link candidatePatterns}: marked with the number of the call rather than cleared for each call. */
  readonly marks: { calls: number; readonly clauseCall: Uint32Array; readonly patternCall: Uint32Array; readonly satisfied: Uint16Array };
}

/** The prefilter of `rules`' text patterns, whose literals `scanner` finds. */
export function indexPatterns<Rule extends { readonly patterns: readonly CompiledPattern[] }>(
  rules: readonly Rule[],
  scanner: LiteralScanner,
): Prefilter<Rule> {
  const patterns = rules.flatMap((rule) => rule.patterns.map((pattern) => ({ pattern, rule })));
  const unconditional: number[] = [];
  const clausesNaming: number[][] = [];
  const patternOfClause: number[] = [];
  patterns.forEach(({ pattern }, index) => {
    if (pattern.clauses.length === 0) {
      unconditional.push(index);
    }
    for (const clause of pattern.clauses) {
      for (const id of new Set(clause)) {
        (clausesNaming[id] ??= []).push(patternOfClause.length);
      }
      patternOfClause.push(index);
    }
  });
  const marks = {
    calls: 0,
    clauseCall: new Uint32Array(patternOfClause.length),
    patternCall: new Uint32Array(patterns.length),
    satisfied: new Uint16Array(patterns.length),
  };
  const clauseCounts = Uint16Array.from(patterns, ({ pattern }) => pattern.clauses.length);
  return { scanner, patterns, unconditional, clausesNaming, patternOfClause, clauseCounts, marks };
}

/** The patterns (indices into `prefilter.patterns`) every clause of which names a literal that was found. */
export function candidatePatterns(prefilter: Prefilter<unknown>, found: LiteralOccurrences): number[] {
  const { clausesNaming, patternOfClause, clauseCounts, marks } = prefilter;
  const { clauseCall, patternCall, satisfied } = marks;
  if (marks.calls === 0xffffffff) {
    clauseCall.fill(0);
    patternCall.fill(0);
    marks.calls = 0;
  }
  const call = ++marks.calls;
  const candidates = [...prefilter.unconditional];
  for (const id of found.ids) {
    for (const clause of clausesNaming[id] ?? []) {
      if (clauseCall[clause] === call) {
        continue;
      }
      clauseCall[clause] = call;
      const index = patternOfClause[clause] ?? 0;
      const count = patternCall[index] === call ? (satisfied[index] ?? 0) + 1 : 1;
      patternCall[index] = call;
      satisfied[index] = count;
      if (count === clauseCounts[index]) {
        candidates.push(index);
      }
    }
  }
  return candidates;
}

/** Whether `pattern` matches `view`, tried only where its leading literals start when it has them. */
export function matchesWhereItCan(pattern: CompiledPattern, view: string, found: LiteralOccurrences): boolean {
  const { leading, sticky } = pattern;
  if (leading === undefined || sticky === undefined) {
    return pattern.regex.test(view);
  }
  const places = leading.reduce((count, id) => count + (found.starts[id]?.length ?? 0), 0);
  if (places * anchorSpacing > view.length) {
    return pattern.regex.test(view);
  }
  for (const id of leading) {
    for (const start of found.starts[id] ?? []) {
      sticky.lastIndex = start;
      if (sticky.test(view)) {
        return true;
      }
    }
  }
  return false;
}
