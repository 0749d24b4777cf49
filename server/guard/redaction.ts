/**
 * Redaction of what must not leave the service in model output: the engine
 * that applies the detectors of `redaction-patterns.ts` to whole texts and,
 * step by step, to streams. (Span text in telemetry has its own, simpler
 * masking in `telemetry/redaction.ts`: telemetry is a leaf and cannot use the
 * service layer's guards.)
 */
import { z } from "zod";
import { createErrorBrand } from "../errors/error-brand.js";
import {
  builtInDetectors,
  customPatternProblem,
  redactionKinds,
  type Detector,
  type RedactionKind,
  type TokenRun,
} from "./redaction-patterns.js";

/** A pattern from configuration; its matches become `[REDACTED:custom]`. */
export interface CustomRedactionPattern {
  /** Names the pattern in errors. Default its position, `customPatterns[2]`. */
  readonly name?: string;
  /**
   * Regex source (compiled with the `u` flag). A match is at most
   * {@link customMatchLength} characters and is looked for in the next
   * `customMatchLength + 1` characters of each position, with one before it.
   * Such a pattern has no alphabet to tell early that a tail cannot match, so
   * with one configured a stream holds back up to its last 65 characters.
   */
  readonly pattern: string;
}

/** Options for {@link createRedactor}. */
export interface RedactorOptions {
  /** The kinds to redact. Default all of {@link redactionKinds}. */
  readonly kinds?: readonly RedactionKind[];
  /** Patterns of the deployment's own secrets; they need `custom` among `kinds`. Default none. */
  readonly customPatterns?: readonly CustomRedactionPattern[];
}

/** Redacted text and how many matches of each kind it had. */
export interface Redaction {
  readonly text: string;
  readonly counts: Record<RedactionKind, number>;
}

/** A token the scan is inside of: its placeholder is out, the rest of it is being swallowed. */
export interface OpenToken {
  readonly run: CompiledRun;
}

/** One step of the incremental scan that {@link Redactor.redact} and the stream redactor share. */
export interface ScanInput {
  /** The two characters just before `text` in the original text (fewer at its start), for boundaries. */
  readonly before: string;
  readonly text: string;
  /** Set when the previous step ended inside a token. */
  readonly token: OpenToken | undefined;
  /** True when no text follows `text`: every decision is made now. */
  readonly final: boolean;
}

/** What a scan step decided; `pending`, `before` and `token` go into the next step. */
export interface ScanOutput {
  /** Redacted text, safe to emit. */
  readonly output: string;
  /** The tail that more text could still turn into (part of) a match; empty when `final`. */
  readonly pending: string;
  readonly before: string;
  readonly token: OpenToken | undefined;
}

/** Redacts sensitive data from model output. Built once, shared by every run. */
export interface Redactor {
  /** Redacts `text` as a whole. */
  redact(text: string): Redaction;
  /** The most characters a stream redactor built on this redactor ever holds back. */
  readonly maxHoldback: number;
  /** One step of the incremental scan, adding what it finds to `counts`; most callers want `redact` or a stream redactor. */
  scan(input: ScanInput, counts: Record<RedactionKind, number>): ScanOutput;
}

/** The longest match of a custom pattern. */
export const customMatchLength = 64;

const brand = createErrorBrand<RedactorConfigError>("RedactorConfigError");

/** The redactor's configuration is unusable; the message names the option or pattern and why. */
export class RedactorConfigError extends Error {
  override readonly name = "RedactorConfigError";
  constructor(
    /** Where the problem is, such as `customPatterns[1] (employee-id)`. */
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`);
    brand.mark(this);
  }
}

/** True when `err` is a {@link RedactorConfigError}, from any copy of this package. */
export function isRedactorConfigError(err: unknown): err is RedactorConfigError {
  return brand.is(err);
}

const optionsSchema = z.object({
  kinds: z.array(z.enum(redactionKinds)).optional(),
  customPatterns: z.array(z.object({ name: z.string().min(1).optional(), pattern: z.string().min(1) })).optional(),
});

/** Every kind at zero. */
export function emptyCounts(): Record<RedactionKind, number> {
  return Object.fromEntries(redactionKinds.map((kind) => [kind, 0])) as Record<RedactionKind, number>;
}

/**
 * Creates a redactor. Matches are resolved left to right: the leftmost start
 * wins; at one start a token that runs on (a key, a JWT, a PEM block) wins,
 * then the longest match, then the detector listed first. Every pattern
 * decides from a bounded window, which is what lets a stream redactor give
 * exactly the same text for any split of it. Throws a
 * {@link RedactorConfigError} naming a bad kind or custom pattern.
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const setting = (issue?.path ?? []).map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("");
    throw new RedactorConfigError(setting.replace(/^\./, "") || "options", issue?.message ?? "invalid");
  }
  const kinds = new Set(parsed.data.kinds ?? redactionKinds);
  const custom = parsed.data.customPatterns ?? [];
  if (custom.length > 0 && !kinds.has("custom")) {
    throw new RedactorConfigError("kinds", "customPatterns are set but `custom` is not among the kinds");
  }
  const matchers: Matcher[] = [
    ...builtInDetectors.filter((detector) => kinds.has(detector.kind)).map(compileDetector),
    ...custom.map((entry, index) => {
      const setting = `customPatterns[${index}]${entry.name === undefined ? "" : ` (${entry.name})`}`;
      return compileCustomPattern(entry.pattern, builtInDetectors.length + index, setting);
    }),
  ];
  const windows = matchers.flatMap((matcher) => [matcher.window, matcher.run?.end?.window ?? 0]);
  const maxHoldback = Math.max(1, ...windows) - 1;
  const scan = (input: ScanInput, counts: Record<RedactionKind, number>) => scanText(matchers, input, counts);
  return {
    maxHoldback,
    scan,
    redact(text) {
      const counts = emptyCounts();
      return { text: scan({ before: "", text, token: undefined, final: true }, counts).output, counts };
    },
  };
}

/** How many characters before a position a pattern may look at: two, for "a digit and a space". */
const contextLength = 2;

/** A detector ready to run. */
interface Matcher {
  readonly kind: RedactionKind;
  readonly priority: number;
  readonly window: number;
  readonly run: CompiledRun | undefined;
  /** The first confirmed match starting at or after `from`. */
  find(text: string, from: number): Match | undefined;
  /** The first position at or after `from` where more text could change whether a match starts there. */
  undecidedFrom(text: string, from: number): number;
}

interface Match {
  readonly start: number;
  readonly end: number;
  /** Characters at the start kept verbatim (a label). */
  readonly keep: number;
  readonly matcher: Matcher;
}

/** {@link TokenRun}, compiled. */
export interface CompiledRun {
  readonly chars: CharTest;
  readonly joiner: string | undefined;
  readonly end: LocalPattern | undefined;
}

/** A pattern tried at one position, and what tells whether more text could change its answer there. */
interface LocalPattern {
  readonly sticky: RegExp;
  readonly window: number;
  /** Where the run of alphabet characters that ends `text` begins, looking back no further than `floor`. */
  alphabetFrom(text: string, floor: number): number;
  /**
   * True when `text` from `start` may still turn out to start a match, given
   * more text: it is a prefix of a head, or a whole head followed by nothing
   * but alphabet characters (from `alphabetFrom` on) up to the end, since a
   * match holds no other character after its head.
   */
  couldStart(text: string, start: number, alphabetFrom: number): boolean;
}

/** A test of one character against a one-character regex source, by table for ASCII. */
type CharTest = (code: number) => boolean;

function compileCharTest(source: string, flags: string): CharTest {
  const pattern = new RegExp(`^(?:${source})$`, flags);
  const ascii = Uint8Array.from({ length: 128 }, (_, code) => Number(pattern.test(String.fromCharCode(code))));
  return (code) => (code < 128 ? ascii[code] === 1 : pattern.test(String.fromCharCode(code)));
}

/** A head as single-character tests, each of which may be optional. */
interface Head {
  readonly tests: readonly CharTest[];
  readonly optional: readonly boolean[];
}

function compileHead(head: string, flags: string): Head {
  const tokens = head.match(/\[(?:\\.|[^\]\\])*\]\??|\\.\??|[^\\]\??/g) ?? [];
  // States are bits of a number, one per token and one for the end.
  if (tokens.length > 30) {
    throw new Error(`head ${head} is longer than 30 characters`);
  }
  const optional = tokens.map((token) => token.length > 1 && token.endsWith("?"));
  const tests = tokens.map((token, index) => {
    const source = optional[index] === true ? token.slice(0, -1) : token;
    return compileCharTest(source.length === 1 ? source.replace(/[.*+?^${}()|[\]\\]/, "\\$&") : source, flags);
  });
  return { tests, optional };
}

/** Adds to `states` the tokens an optional token lets the head skip to. */
function skipOptional(head: Head, states: number): number {
  let closed = states;
  for (let index = 0; index < head.optional.length; index++) {
    if (head.optional[index] === true && closed & (1 << index)) {
      closed |= 1 << (index + 1);
    }
  }
  return closed;
}

function fitsHead(head: Head, text: string, start: number, alphabetFrom: number): boolean {
  const accepting = 1 << head.tests.length;
  let states = skipOptional(head, 1);
  for (let at = start; at < text.length; at++) {
    if (states & accepting && at >= alphabetFrom) {
      return true;
    }
    const code = text.charCodeAt(at);
    let next = 0;
    for (let index = 0; index < head.tests.length; index++) {
      if (states & (1 << index) && head.tests[index]?.(code) === true) {
        next |= 1 << (index + 1);
      }
    }
    if (next === 0) {
      return false;
    }
    states = skipOptional(head, next);
  }
  return true;
}

function compileLocal(pattern: Pick<Detector, "pattern" | "heads" | "alphabet" | "window">, flags: string): LocalPattern {
  const heads = pattern.heads.map((head) => compileHead(head, flags));
  const inAlphabet = compileCharTest(pattern.alphabet, flags);
  return {
    sticky: new RegExp(pattern.pattern, `y${flags}`),
    window: pattern.window,
    alphabetFrom(text, floor) {
      let from = text.length;
      while (from > floor && inAlphabet(text.charCodeAt(from - 1))) {
        from--;
      }
      return from;
    },
    couldStart(text, start, alphabetFrom) {
      return heads.some((head) => fitsHead(head, text, start, alphabetFrom));
    },
  };
}

function compileRun(run: TokenRun): CompiledRun {
  return { chars: compileCharTest(run.chars, ""), joiner: run.joiner, end: run.end === undefined ? undefined : compileLocal(run.end, "") };
}

function compileDetector(detector: Detector, priority: number): Matcher {
  const flags = detector.flags ?? "";
  const notAfter = detector.notAfter === undefined ? undefined : new RegExp(`(?:${detector.notAfter})$`, flags);
  const search = new RegExp(`${notAfter === undefined ? "" : `(?<!${detector.notAfter})`}(?:${detector.pattern})`, `g${flags}`);
  const local = compileLocal(detector, flags);
  // Every head's first character is required, which rules out most positions at once.
  const firstChars = detector.heads.map((head) => compileHead(head, flags).tests[0]);
  const firstChar = (code: number) => firstChars.some((test) => test?.(code) === true);
  const matcher: Matcher = {
    kind: detector.kind,
    priority,
    window: detector.window,
    run: detector.runsOn === undefined ? undefined : compileRun(detector.runsOn),
    find(text, from) {
      search.lastIndex = from;
      for (let found = search.exec(text); found !== null; found = search.exec(text)) {
        const keep = found.groups?.["keep"]?.length ?? 0;
        const length = detector.confirm === undefined ? found[0].length : detector.confirm(found[0]);
        if (length > keep) {
          return { start: found.index, end: found.index + length, keep, matcher };
        }
        search.lastIndex = found.index + 1;
      }
      return undefined;
    },
    undecidedFrom(text, from) {
      const lowest = Math.max(from, text.length - detector.window + 1);
      const alphabetFrom = local.alphabetFrom(text, lowest);
      for (let start = lowest; start < text.length; start++) {
        if (!firstChar(text.charCodeAt(start))) {
          continue;
        }
        const boundaryHolds = notAfter === undefined || !notAfter.test(text.slice(Math.max(0, start - contextLength), start));
        if (boundaryHolds && local.couldStart(text, start, alphabetFrom)) {
          return start;
        }
      }
      return Infinity;
    },
  };
  return matcher;
}

/**
 * A custom pattern, looked for at every position in a window of
 * `customMatchLength + 1` characters (and the one before, for `\b`): an
 * operator's regex has no alphabet to tell where its matches end, so the
 * window is what bounds both the holdback and the cost of a bad pattern.
 */
function compileCustomPattern(source: string, priority: number, setting: string): Matcher {
  const problem = customPatternProblem(source);
  if (problem !== undefined) {
    throw new RedactorConfigError(setting, problem);
  }
  const sticky = new RegExp(source, "uy");
  // The match and one character after it, for `\b` and lookahead.
  const seen = customMatchLength + 1;
  const matcher: Matcher = {
    kind: "custom",
    priority,
    // One more than it sees, for the step back below.
    window: seen + 1,
    run: undefined,
    find(text, from) {
      for (let start = from; start < text.length; start++) {
        const sliceStart = Math.max(0, start - 1);
        sticky.lastIndex = start - sliceStart;
        const found = sticky.exec(text.slice(sliceStart, start + seen));
        if (found !== null && found[0].length > 0 && found[0].length <= customMatchLength) {
          const keep = found.groups?.["keep"]?.length ?? 0;
          if (found[0].length > keep) {
            return { start, end: start + found[0].length, keep, matcher };
          }
        }
      }
      return undefined;
    },
    undecidedFrom(text, from) {
      let start = Math.max(from, text.length - seen + 1);
      // Holding back from inside a surrogate pair would emit half an emoji now and half later.
      if (start > from && isLowSurrogate(text.charCodeAt(start)) && isHighSurrogate(text.charCodeAt(start - 1))) {
        start--;
      }
      return start < text.length ? start : Infinity;
    },
  };
  return matcher;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** How far a token runs from `at`: `open` when more text could extend it. */
function extendToken(run: CompiledRun, text: string, at: number, final: boolean): { end: number; open: boolean } {
  let index = at;
  while (index < text.length) {
    if (run.end !== undefined) {
      run.end.sticky.lastIndex = index;
      const found = run.end.sticky.exec(text);
      const decided =
        final || text.length - index >= run.end.window || !run.end.couldStart(text, index, run.end.alphabetFrom(text, index));
      if (!decided) {
        return { end: index, open: true };
      }
      if (found !== null) {
        return { end: index + found[0].length, open: false };
      }
    }
    const char = text.charAt(index);
    if (run.chars(text.charCodeAt(index))) {
      index++;
    } else if (char === run.joiner && index + 1 < text.length && run.chars(text.charCodeAt(index + 1))) {
      index++;
    } else if (char === run.joiner && index + 1 === text.length && !final) {
      // A dot at the end of what has arrived: inside a JWT or the end of a sentence.
      return { end: index, open: true };
    } else {
      return { end: index, open: false };
    }
  }
  return { end: index, open: !final };
}

/**
 * True when `candidate` wins over `best`: it starts earlier, or at the same
 * start it is a token that runs on, or longer, or of a detector listed first.
 */
function comesFirst(candidate: Match, best: Match): boolean {
  if (candidate.start !== best.start) {
    return candidate.start < best.start;
  }
  const runs = Number(candidate.matcher.run !== undefined) - Number(best.matcher.run !== undefined);
  if (runs !== 0) {
    return runs > 0;
  }
  if (candidate.end !== best.end) {
    return candidate.end > best.end;
  }
  return candidate.matcher.priority < best.matcher.priority;
}

function placeholder(kind: RedactionKind): string {
  return `[REDACTED:${kind}]`;
}

/**
 * The scan. Left to right: inside a token, swallow it; otherwise take the
 * leftmost match of any detector, unless some detector could still match at
 * or before it once more text comes, in which case stop there and hand the
 * rest back as pending. Each matcher's next match and first undecided
 * position are kept until the cursor passes them.
 */
function scanText(matchers: readonly Matcher[], input: ScanInput, counts: Record<RedactionKind, number>): ScanOutput {
  const text = input.before + input.text;
  const final = input.final;
  const pieces: string[] = [];
  let cursor = input.before.length;
  let token = input.token;
  const nextMatch: (Match | null | undefined)[] = matchers.map(() => undefined);
  const nextUndecided: number[] = matchers.map(() => -1);
  const stop = (at: number): ScanOutput => ({
    output: pieces.join(""),
    pending: text.slice(at),
    before: text.slice(Math.max(0, at - contextLength), at),
    token,
  });

  for (;;) {
    if (token !== undefined) {
      const { end, open } = extendToken(token.run, text, cursor, final);
      cursor = end;
      if (open) {
        return stop(cursor);
      }
      token = undefined;
    }
    let undecided = Infinity;
    let chosen: Match | undefined;
    for (let index = 0; index < matchers.length; index++) {
      const matcher = matchers[index];
      if (matcher === undefined) {
        continue;
      }
      let match = nextMatch[index];
      if (match === undefined || (match !== null && match.start < cursor)) {
        match = matcher.find(text, cursor) ?? null;
        nextMatch[index] = match;
      }
      if (match !== null && (chosen === undefined || comesFirst(match, chosen))) {
        chosen = match;
      }
      if (!final) {
        let position = nextUndecided[index] ?? -1;
        if (position < cursor) {
          position = matcher.undecidedFrom(text, cursor);
          nextUndecided[index] = position;
        }
        undecided = Math.min(undecided, position);
      }
    }
    if (undecided !== Infinity && undecided <= (chosen?.start ?? Infinity)) {
      pieces.push(text.slice(cursor, undecided));
      return stop(undecided);
    }
    if (chosen === undefined) {
      // A delta that ends inside a surrogate pair keeps its half until the other half comes.
      const end = !final && isHighSurrogate(text.charCodeAt(text.length - 1)) ? Math.max(cursor, text.length - 1) : text.length;
      pieces.push(text.slice(cursor, end));
      return stop(end);
    }
    pieces.push(text.slice(cursor, chosen.start), text.slice(chosen.start, chosen.start + chosen.keep), placeholder(chosen.matcher.kind));
    counts[chosen.matcher.kind]++;
    cursor = chosen.end;
    if (chosen.matcher.run !== undefined) {
      token = { run: chosen.matcher.run };
    }
  }
}
