/**
 * `#words <count>` or `#words <count>x<length>` in the latest user message:
 * the simulated model answers with that many words, so tests and benchmarks
 * can ask for an answer of any size (one SSE chunk per word).
 */
const wordsDirective = /#words\s+(\d{1,7})(?:x(\d{1,6}))?/;

/** Default length of each word of a `#words` answer, its trailing space included. */
const defaultWordLength = 8;

/** The largest `#words` answer, in characters: enough to outgrow every buffer, not the test machine. */
export const maxLongAnswerChars = 64 * 1024 * 1024;

/**
 * The answer of `count` words of `length` characters each (a space included):
 * word `i` starts with its number, so a lost, doubled or reordered word shows.
 * Throws a `RangeError` beyond {@link maxLongAnswerChars}.
 */
export function longAnswer(count: number, length: number = defaultWordLength): string {
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(length) || length < 2 || count * length > maxLongAnswerChars) {
    throw new RangeError(`#words answers have 0 or more words of 2 or more characters, at most ${maxLongAnswerChars} characters in all`);
  }
  const words: string[] = [];
  for (let index = 0; index < count; index++) {
    const number = `w${index}`;
    // Padded with dashes to the length; a number longer than the word is kept whole.
    words.push(`${number}${"-".repeat(Math.max(0, length - 1 - number.length))} `);
  }
  return words.join("");
}

/** The long answer a question's `#words` directive asks for, or undefined without one (or with one out of range). */
export function longAnswerFor(question: string): string | undefined {
  const match = wordsDirective.exec(question);
  if (match === null) {
    return undefined;
  }
  const count = Number(match[1]);
  const length = match[2] === undefined ? defaultWordLength : Number(match[2]);
  return count * length <= maxLongAnswerChars && length >= 2 ? longAnswer(count, length) : undefined;
}
