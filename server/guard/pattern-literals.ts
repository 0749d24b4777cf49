/**
 * Reading a regular expression's source for the literals every match must
 * contain and may start with ({@link analysePattern}), in the folded alphabet
 * that `literal-scanner.ts` reads text in. The input screen's prefilter rests
 * on it: a pattern is skipped when a view lacks its literals, so a claim made
 * here must hold for every match, and what is not understood claims nothing.
 *
 * Literals are compared in a folded alphabet: ASCII lowercased, and every
 * other character one symbol, `nonAsciiSymbol`. That is sound under the `iu`
 * flags because the only non-ASCII characters that match an ASCII one are
 * U+017F (long s) and U+212A (Kelvin sign), folded to `s` and `k` (a test
 * checks this against the engine): a pattern's literal character and the
 * text character it matches always fold to the same symbol, one per code point.
 */

/** The symbol every character outside ASCII folds to. */
export const nonAsciiSymbol = "\u0080";

/** `codePoint` in the folded alphabet. */
export function foldedSymbol(codePoint: number): string {
  if (codePoint < 0x80) {
    return String.fromCharCode(codePoint).toLowerCase();
  }
  return codePoint === 0x17f ? "s" : codePoint === 0x212a ? "k" : nonAsciiSymbol;
}

/**
 * What every match of a pattern contains: for each clause, one of its
 * literals (folded); and, when known, the literals one of which every match
 * starts with.
 */
export interface PatternLiterals {
  readonly clauses: readonly (readonly string[])[];
  readonly leading?: readonly string[];
}

const unknown: PatternLiterals = { clauses: [] };

/**
 * The literals every match of a pattern (a regular expression source for
 * the `u` flag) must contain, read from its syntax: a run of literal
 * characters, and the alternatives of a group or an alternation. Anything
 * else (classes, escapes such as `\s`, lookarounds, optional parts) only
 * separates runs. What it does not understand makes it claim nothing, so
 * that the pattern always runs.
 */
export function analysePattern(source: string): PatternLiterals {
  const cursor = { source, at: 0 };
  try {
    const literals = readAlternation(cursor);
    return cursor.at === source.length ? literals : unknown;
  } catch {
    return unknown;
  }
}

interface PatternCursor {
  readonly source: string;
  at: number;
}

function eat(cursor: PatternCursor, text: string): boolean {
  if (!cursor.source.startsWith(text, cursor.at)) {
    return false;
  }
  cursor.at += text.length;
  return true;
}

function readAlternation(cursor: PatternCursor): PatternLiterals {
  const branches = [readSequence(cursor)];
  while (eat(cursor, "|")) {
    branches.push(readSequence(cursor));
  }
  if (branches.length === 1) {
    return branches[0] ?? unknown;
  }
  // A match satisfies one branch, hence one clause of it: the union of each branch's strongest clause.
  const clauses = branches.some((branch) => branch.clauses.length === 0) ? [] : [[...new Set(branches.flatMap(strongestClause))]];
  const leading = branches.every((branch) => branch.leading !== undefined) ? branches.flatMap((branch) => branch.leading ?? []) : undefined;
  return leading === undefined ? { clauses } : { clauses, leading: withoutLongerForms(leading) };
}

/** The clause whose shortest literal is longest, the one least likely to occur by chance. */
function strongestClause(literals: PatternLiterals): readonly string[] {
  const strength = (clause: readonly string[]) => Math.min(...clause.map((literal) => literal.length));
  return literals.clauses.reduce((best, clause) => (strength(clause) > strength(best) ? clause : best), literals.clauses[0] ?? []);
}

/** `literals` without those that start with another of them: where the longer starts, the shorter does. */
function withoutLongerForms(literals: readonly string[]): readonly string[] {
  const distinct = [...new Set(literals)];
  return distinct.filter((literal) => !distinct.some((other) => other !== literal && literal.startsWith(other)));
}

/** One element of a sequence and how often it must occur. */
interface Term {
  /** Its folded character, when it is a single literal character. */
  readonly literal?: string;
  readonly literals: PatternLiterals;
  /** Assertions (`\b`, `^`, lookarounds) consume nothing. */
  readonly zeroWidth: boolean;
  readonly min: number;
  readonly quantified: boolean;
}

function readSequence(cursor: PatternCursor): PatternLiterals {
  const terms: Term[] = [];
  for (let next = cursor.source[cursor.at]; next !== undefined && next !== "|" && next !== ")"; next = cursor.source[cursor.at]) {
    const atom = readAtom(cursor);
    const min = readQuantifier(cursor);
    terms.push({ ...atom, min: min ?? 1, quantified: min !== undefined });
  }
  const clauses: (readonly string[])[] = [];
  let run = "";
  for (const term of terms) {
    if (term.literal !== undefined && !term.quantified) {
      run += term.literal;
      continue;
    }
    if (run !== "") {
      clauses.push([run]);
      run = "";
    }
    if (term.min > 0) {
      clauses.push(...term.literals.clauses);
    }
  }
  if (run !== "") {
    clauses.push([run]);
  }
  const leading = leadingLiterals(terms, 0);
  return leading === undefined ? { clauses } : { clauses, leading };
}

/** The literals a match of `terms` from `from` on starts with; undefined when unknown or when it may be empty. */
function leadingLiterals(terms: readonly Term[], from: number): readonly string[] | undefined {
  const index = terms.findIndex((term, at) => at >= from && !term.zeroWidth);
  const term = terms[index];
  if (term === undefined) {
    return undefined;
  }
  if (term.literal !== undefined && !term.quantified) {
    const end = terms.findIndex((other, at) => at > index && (other.literal === undefined || other.quantified));
    return [terms.slice(index, end < 0 ? undefined : end).map((other) => other.literal ?? "").join("")];
  }
  if (term.min > 0) {
    return term.literals.leading;
  }
  // An optional term: the match starts with it, or with what follows it.
  const own = term.literals.leading;
  const rest = leadingLiterals(terms, index + 1);
  return own === undefined || rest === undefined ? undefined : withoutLongerForms([...own, ...rest]);
}

/** The least count of a quantifier, or undefined when the atom has none. */
function readQuantifier(cursor: PatternCursor): number | undefined {
  let min: number;
  if (eat(cursor, "*") || eat(cursor, "?")) {
    min = 0;
  } else if (eat(cursor, "+")) {
    min = 1;
  } else {
    const bound = /^\{(\d+)(?:,\d*)?\}/.exec(cursor.source.slice(cursor.at, cursor.at + 24));
    if (bound === null) {
      return undefined;
    }
    cursor.at += bound[0].length;
    min = Number(bound[1]);
  }
  eat(cursor, "?");
  return min;
}

const consumingUnknown = { literals: unknown, zeroWidth: false };
const assertion = { literals: unknown, zeroWidth: true };

function readAtom(cursor: PatternCursor): Omit<Term, "min" | "quantified"> {
  const codePoint = cursor.source.codePointAt(cursor.at) ?? 0;
  const char = String.fromCodePoint(codePoint);
  if (eat(cursor, "(")) {
    const lookaround = eat(cursor, "?=") || eat(cursor, "?!") || eat(cursor, "?<=") || eat(cursor, "?<!");
    if (!lookaround && !eat(cursor, "?:") && eat(cursor, "?<")) {
      readUntil(cursor, ">");
    } else if (!lookaround && cursor.source[cursor.at] === "?") {
      throw new SyntaxError("unknown group");
    }
    const inner = readAlternation(cursor);
    if (!eat(cursor, ")")) {
      throw new SyntaxError("unclosed group");
    }
    return lookaround ? assertion : { literals: inner, zeroWidth: false };
  }
  if (char === "[") {
    skipClass(cursor);
    return consumingUnknown;
  }
  if (char === "\\") {
    return readEscape(cursor);
  }
  cursor.at += char.length;
  if (char === "^" || char === "$") {
    return assertion;
  }
  if (char === ".") {
    return consumingUnknown;
  }
  if ("*+?{}])".includes(char)) {
    throw new SyntaxError("unexpected syntax character");
  }
  return literalAtom(codePoint);
}

function literalAtom(codePoint: number): Omit<Term, "min" | "quantified"> {
  const literal = foldedSymbol(codePoint);
  return { literal, literals: { clauses: [[literal]], leading: [literal] }, zeroWidth: false };
}

const controlEscapes: Readonly<Record<string, number>> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b, "0": 0 };

function readEscape(cursor: PatternCursor): Omit<Term, "min" | "quantified"> {
  const char = cursor.source[cursor.at + 1];
  cursor.at += 2;
  if (char === undefined) {
    throw new SyntaxError("trailing backslash");
  }
  if (char === "b" || char === "B") {
    return assertion;
  }
  if ("dDsSwW".includes(char)) {
    return consumingUnknown;
  }
  if (char === "p" || char === "P") {
    if (!eat(cursor, "{")) {
      throw new SyntaxError("property escape without a name");
    }
    readUntil(cursor, "}");
    return consumingUnknown;
  }
  const control = controlEscapes[char];
  if (control !== undefined) {
    return literalAtom(control);
  }
  if (char === "u" || char === "x") {
    const hex = char === "u" && eat(cursor, "{") ? readUntil(cursor, "}") : cursor.source.slice(cursor.at, (cursor.at += char === "u" ? 4 : 2));
    const codePoint = Number.parseInt(hex, 16);
    // A surrogate escape may pair with the next one into one character: not worth reading.
    if (!/^[0-9a-f]+$/i.test(hex) || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
      throw new SyntaxError("unsupported escape");
    }
    return literalAtom(codePoint);
  }
  if (/[\^$\\.*+?()[\]{}|/-]/.test(char)) {
    return literalAtom(char.charCodeAt(0));
  }
  // Back-references, \c and anything newer: claim nothing about the pattern.
  throw new SyntaxError("unsupported escape");
}

function readUntil(cursor: PatternCursor, end: string): string {
  const close = cursor.source.indexOf(end, cursor.at);
  if (close < 0) {
    throw new SyntaxError(`missing ${end}`);
  }
  const text = cursor.source.slice(cursor.at, close);
  cursor.at = close + 1;
  return text;
}

function skipClass(cursor: PatternCursor): void {
  // In JavaScript (without the v flag) the first unescaped `]` closes a class, even right after `[`.
  for (cursor.at++; cursor.at < cursor.source.length; cursor.at++) {
    const char = cursor.source[cursor.at];
    if (char === "\\") {
      cursor.at++;
    } else if (char === "]") {
      cursor.at++;
      return;
    }
  }
  throw new SyntaxError("unclosed class");
}
