const quote = 0x22; // "
const backslash = 0x5c; // \
const openArray = 0x5b; // [
const closeArray = 0x5d; // ]
const openObject = 0x7b; // {
const closeObject = 0x7d; // }

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, found by
 * one pass over the bytes that allocates nothing, so it is safe to run on any
 * body before `JSON.parse` builds a value tree from it (a few MB of `[[[[…`
 * holds the event loop for a second in the parser).
 *
 * Brackets inside strings do not count; escaped quotes do not end them.
 * UTF-8 needs no decoding here: every byte of a multi-byte sequence is 0x80
 * or above, so it is never taken for a bracket, quote or backslash. The scan does not
 * validate the JSON: unbalanced or malformed text is left to the parser.
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === quote) {
      i = endOfString(bytes, i);
    } else if (byte === openArray || byte === openObject) {
      if (++depth > maxDepth) {
        return true;
      }
    } else if (byte === closeArray || byte === closeObject) {
      depth--;
    }
  }
  return false;
}

/**
 * The index of the quote that closes the string opened at `open`, or the
 * end of the bytes. Jumps from quote to quote with the native `indexOf`, as
 * `input` makes up most of a request: a quote after an odd run of
 * backslashes is escaped, so the string goes on.
 */
function endOfString(bytes: Uint8Array, open: number): number {
  for (let at = bytes.indexOf(quote, open + 1); at !== -1; at = bytes.indexOf(quote, at + 1)) {
    let backslashes = 0;
    while (bytes[at - 1 - backslashes] === backslash) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return at;
    }
  }
  return bytes.length;
}
