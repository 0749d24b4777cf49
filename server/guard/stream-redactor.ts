import type { RedactionKind } from "./redaction-patterns.js";
import { emptyCounts, type OpenToken, type Redactor } from "./redaction.js";

/**
 * Redacts a stream of text deltas. Whatever the split, the concatenation of
 * every `push` and the final `end` is exactly `redactor.redact(whole).text`.
 */
export interface StreamRedactor {
  /** Takes the next delta; returns the redacted text that is safe to emit now (possibly ""). */
  push(delta: string): string;
  /** Ends the stream; returns the rest. Pushing after it throws. */
  end(): string;
  /** Characters received but not yet emitted nor swallowed: at most `redactor.maxHoldback`. */
  readonly held: number;
  /** Matches redacted so far, by kind. */
  counts(): Record<RedactionKind, number>;
}

/**
 * Creates a stream redactor over `redactor`. Text is emitted as soon as no
 * detector could still match at or before it: an ordinary word goes out when
 * the space after it arrives, "17 * 23 = 391" at once but for the "391"
 * (which may be the start of a phone number) until what follows shows it is
 * not. What is held back is only a tail that could still begin a match,
 * never more than `redactor.maxHoldback` characters: 120 with every
 * detector, 65 with custom patterns alone (see `redaction-patterns.ts`).
 *
 * 120 is enough because every shape of bounded length is decided within it,
 * the character after it included: a card with separators is at most 24
 * characters (19 digits, 5 separators), an IBAN in groups of four 44, a
 * grouped international phone number under 80, and an email address is
 * bounded to a run of 120 on purpose. A token with no fixed length (a key,
 * a JWT, a PEM block) is not held back whole: once its start is recognised
 * (a JWT's header and `.eyJ`, within 108 characters) the placeholder goes
 * out and the rest of the token is swallowed as it arrives, so nothing of it
 * leaks and the bound still holds.
 */
export function createStreamRedactor(redactor: Redactor): StreamRedactor {
  const counts = emptyCounts();
  let before = "";
  let pending = "";
  let token: OpenToken | undefined;
  let ended = false;

  const step = (delta: string, final: boolean): string => {
    const result = redactor.scan({ before, text: pending + delta, token, final }, counts);
    ({ before, pending, token } = result);
    return result.output;
  };

  return {
    push(delta) {
      if (ended) {
        throw new Error("push after end: the stream redactor has already been ended");
      }
      return delta === "" ? "" : step(delta, false);
    },
    end() {
      if (ended) {
        return "";
      }
      ended = true;
      return step("", true);
    },
    get held() {
      return pending.length;
    },
    counts: () => ({ ...counts }),
  };
}
