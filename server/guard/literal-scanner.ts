/**
 * The one pass over a view that finds which of the input screen's literals
 * it contains, and where the leading ones start: an Aho-Corasick automaton
 * over the folded alphabet of `pattern-literals.ts`. A mechanism of its own,
 * knowing literals only, not the patterns or rules they come from.
 */
import { foldedSymbol, nonAsciiSymbol } from "./pattern-literals.js";
import { isHighSurrogate } from "./text-normalisation.js";

/** A literal of the screen's text patterns. */
export interface Literal {
  readonly id: number;
  /** Folded, see {@link foldedSymbol}. */
  readonly text: string;
  /** Whether some pattern is anchored on it, so that where it starts is recorded. */
  readonly leading: boolean;
}

/** The literals found in one view. */
export interface LiteralOccurrences {
  /** The ids of the literals that occur, each once. */
  readonly ids: readonly number[];
  /** For leading literals, the indices (UTF-16) where each occurrence starts. */
  readonly starts: readonly (number[] | undefined)[];
}

/** Finds every occurrence of a fixed set of literals in one pass over a text. */
export interface LiteralScanner {
  scan(text: string): LiteralOccurrences;
}

/**
 * An Aho-Corasick automaton over the literals, as a table of transitions per
 * state and folded symbol: one table read per character of the text,
 * however many literals there are. (A regular expression per literal would
 * read the text once per literal.) Undefined when the table would be too
 * large for its entries: the screen then runs every pattern.
 */
export function createLiteralScanner(literals: readonly Literal[]): LiteralScanner | undefined {
  const alphabet = new Map<string, number>();
  for (const { text } of literals) {
    for (const symbol of text) {
      if (!alphabet.has(symbol)) {
        alphabet.set(symbol, alphabet.size + 1);
      }
    }
  }
  // Symbol 0 is every character no literal has.
  const width = alphabet.size + 1;
  const asciiSymbols = Uint8Array.from({ length: 0x80 }, (_, code) => alphabet.get(foldedSymbol(code)) ?? 0);
  const [longS, kelvin, other] = ["s", "k", nonAsciiSymbol].map((symbol) => alphabet.get(symbol) ?? 0);
  const { transitions, outputStart, outputs } = buildAutomaton(literals, alphabet, width);
  if (transitions.length * 2 > 0xffffffff) {
    // Offsets would not fit the table's entries; the screen then runs every pattern.
    return undefined;
  }
  // Each entry is the next state's row offset, doubled, plus 1 when literals
  // end there: one table read per character, and the outputs only looked up when there are some.
  const rows = transitions.map((next) => next * width * 2 + ((outputStart[next + 1] ?? 0) > (outputStart[next] ?? 0) ? 1 : 0));
  const startLength = Int32Array.from(literals, ({ text, leading }) => (leading ? text.length : 0));
  // Which literals a scan has found, marked with the scan's number rather than cleared for each scan.
  const foundIn = new Uint32Array(literals.length);
  let scans = 0;
  return {
    scan(text) {
      if (scans === 0xffffffff) {
        foundIn.fill(0);
        scans = 0;
      }
      const scan = ++scans;
      const ids: number[] = [];
      const starts: (number[] | undefined)[] = [];
      let row = 0;
      for (let at = 0; at < text.length; at++) {
        const code = text.charCodeAt(at);
        let symbol: number;
        if (code < 0x80) {
          symbol = asciiSymbols[code] ?? 0;
        } else if (code === 0x17f || code === 0x212a) {
          symbol = (code === 0x17f ? longS : kelvin) ?? 0;
        } else {
          symbol = other ?? 0;
          // A surrogate pair is one character, as the `u` flag reads it.
          if (isHighSurrogate(code) && (text.charCodeAt(at + 1) & 0xfc00) === 0xdc00) {
            at++;
          }
        }
        const entry = rows[row + symbol] ?? 0;
        row = entry >>> 1;
        if ((entry & 1) === 0) {
          continue;
        }
        const state = row / width;
        for (let output = outputStart[state] ?? 0, end = outputStart[state + 1] ?? 0; output < end; output++) {
          const id = outputs[output] ?? 0;
          if (foundIn[id] !== scan) {
            foundIn[id] = scan;
            ids.push(id);
          }
          const length = startLength[id] ?? 0;
          if (length > 0) {
            // Leading literals are ASCII: one UTF-16 unit per symbol.
            (starts[id] ??= []).push(at + 1 - length);
          }
        }
      }
      return { ids, starts };
    },
  };
}

/**
 * The automaton's tables: `transitions[state * width + symbol]` is the next
 * state, and `outputs[outputStart[state]]` up to `outputs[outputStart[state + 1]]`
 * the ids of the literals that end on reaching `state`.
 */
function buildAutomaton(literals: readonly Literal[], alphabet: ReadonlyMap<string, number>, width: number) {
  // The trie of the literals.
  const children: number[][] = [[]];
  const ending: number[][] = [[]];
  for (const { id, text } of literals) {
    let state = 0;
    for (const symbol of text) {
      const index = alphabet.get(symbol) ?? 0;
      const existing = children[state]?.[index];
      const next = existing ?? children.length;
      if (existing === undefined) {
        (children[state] ??= [])[index] = next;
        children.push([]);
        ending.push([]);
      }
      state = next;
    }
    ending[state]?.push(id);
  }
  // Breadth first, each state's failure (its longest proper suffix in the
  // trie) is known before its children's, so missing transitions and
  // outputs are copied from it.
  const transitions = new Uint32Array(children.length * width);
  const failure = new Uint32Array(children.length);
  const queue = [0];
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] ?? 0;
    if (state !== 0) {
      ending[state]?.push(...(ending[failure[state] ?? 0] ?? []));
    }
    for (let symbol = 0; symbol < width; symbol++) {
      const child = children[state]?.[symbol];
      const viaFailure = state === 0 ? 0 : (transitions[(failure[state] ?? 0) * width + symbol] ?? 0);
      if (child === undefined) {
        transitions[state * width + symbol] = viaFailure;
      } else {
        failure[child] = viaFailure;
        transitions[state * width + symbol] = child;
        queue.push(child);
      }
    }
  }
  const outputStart = new Uint32Array(children.length + 1);
  ending.forEach((ids, state) => (outputStart[state + 1] = (outputStart[state] ?? 0) + ids.length));
  return { transitions, outputStart, outputs: Uint32Array.from(ending.flat()) };
}
