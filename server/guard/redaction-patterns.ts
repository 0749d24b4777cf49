/**
 * The detectors of sensitive data in model output, as data: a regular
 * expression per shape, the checks that tell a real card number or IBAN from
 * digits that merely look like one, and what the stream redactor needs to
 * decide a match from a bounded look at the text (`heads`, `alphabet`,
 * `window`). The engine that applies them is `redaction.ts`.
 *
 * Where each detector draws the line, to keep ordinary text readable:
 * - Phone numbers need a `+` and country code, or a national layout with
 *   separators (North American 3-3-4, or a trunk 0 and 10–12 digits). Bare
 *   digit runs ("order 12345678", "4155552671"), 7-digit local numbers,
 *   dates, times, versions, IP addresses, prices and ZIP+4 codes stay; so
 *   does a grouped number right after another group. A list like
 *   "05 10 15 20 25" reads as a French number and goes.
 * - Card numbers need 13–19 digits, the Luhn check and a first digit 2–6, so
 *   a 13-digit millisecond timestamp stays even when Luhn-valid.
 * - IBANs are in capitals, compact or in groups of four; lowercase stays.
 * - Email addresses are ASCII, with a local part of at most 64 characters;
 *   an SSH remote (`git@github.com:org/repo`) looks like one and goes.
 * - UUIDs, hashes and other hex ids stay: nothing secret in themselves, and a
 *   rule for opaque strings would redact half of any technical answer.
 * - `sk-` and Slack keys need a digit or capital in their first 40
 *   characters; 40 base64 characters are an AWS secret only when labelled;
 *   `Bearer x` needs a digit or 20 characters unless after `Authorization:`.
 * - A base64url JSON segment over 100 characters counts as a JWT without
 *   its dots, and a PEM block with no END line runs until a character no
 *   PEM block holds: both err on the side of hiding.
 */

/** What a redaction hides; the placeholder is `[REDACTED:<kind>]`. */
export const redactionKinds = [
  "email",
  "phone",
  "card",
  "iban",
  "api_key",
  "aws_key",
  "github_token",
  "jwt",
  "bearer",
  "private_key",
  "custom",
] as const;

/** One of {@link redactionKinds}. */
export type RedactionKind = (typeof redactionKinds)[number];

/**
 * How a token with no fixed length (a key, a JWT, a PEM block) runs on after
 * the part its detector matched. The stream redactor emits the placeholder as
 * soon as that part is matched and swallows the rest as it arrives, so a long
 * secret never has to be held back whole.
 */
export interface TokenRun {
  /** Class of the characters the token is made of, as a regex source such as `[A-Za-z0-9_-]`. */
  readonly chars: string;
  /** A character that belongs to the token only between two of its characters: the dots of a JWT. */
  readonly joiner?: string;
  /** What ends the token and is part of it: the END line of a PEM block. */
  readonly end?: Pick<Detector, "pattern" | "heads" | "alphabet" | "window">;
}

/**
 * A detector. Its match is found by `pattern` (preceded by no character of
 * `notAfter`), then checked by `confirm`. Two promises make it safe to decide
 * on a stream's tail: every match begins with one of `heads`, and after its
 * head it holds only characters of `alphabet`; and the pattern looks at no
 * more than `window` characters from where it starts (its lookahead included)
 * and at two before.
 */
export interface Detector {
  /** Names the shape in tests and errors, such as `phone-international`. */
  readonly name: string;
  readonly kind: RedactionKind;
  /** Regex source of a match. A named group `keep` at its start stays, before the placeholder: a label, `Bearer `. */
  readonly pattern: string;
  /** Regex flags besides the engine's own: `i` for a case-insensitive label. Default none. */
  readonly flags?: string;
  /** Regex source of what may not come right before a match, at most two characters: `[A-Za-z0-9_]`. Default none. */
  readonly notAfter?: string;
  /** What a match begins with: literal characters, `[...]` classes and `\d`, each optionally followed by `?`. */
  readonly heads: readonly string[];
  /** Class of every character a match holds after its head. */
  readonly alphabet: string;
  /** The most characters, from a match's start, that `pattern` may look at. */
  readonly window: number;
  /** How much of the pattern's match is a real one: all of it, a shorter prefix, or 0 for none. Default all. */
  readonly confirm?: (candidate: string) => number;
  /** Set when the token runs on past the match; see {@link TokenRun}. */
  readonly runsOn?: TokenRun;
}

/** True when the digits pass the Luhn check, as every payment card number does. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) {
        digit -= 9;
      }
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** True when a compact IBAN passes ISO 7064 MOD 97-10: check digits moved to the end, letters as 10–35. */
export function passesIbanChecksum(compact: string): boolean {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const value = Number.parseInt(char, 36);
    // Letters are two digits, so they shift the remainder by a hundred.
    remainder = (remainder * (value > 9 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

/**
 * IBAN length by country, from the SWIFT IBAN registry. A country missing
 * here is still accepted at any length from 15 to 34 when its checksum holds.
 */
export const ibanLengths: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22,
  GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27,
  MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24,
  XK: 20,
};

/**
 * The length of the longest prefix of `candidate` that is either all of it or
 * ends right before a separator, and that `isMatch` accepts; 0 when none is.
 * A grouped number followed by more groups ("4111 1111 1111 1111 2024") is
 * still found, without the pattern having to guess where it ends.
 */
function longestPrefix(candidate: string, separators: string, isMatch: (prefix: string) => boolean): number {
  for (let end = candidate.length; end > 0; end--) {
    if ((end === candidate.length || separators.includes(candidate.charAt(end))) && isMatch(candidate.slice(0, end))) {
      return end;
    }
  }
  return 0;
}

const digitsOf = (text: string): string => text.replace(/\D/g, "");

/** A card number: 13–19 digits, the first 2–6 (the industries that issue payment cards), Luhn-valid. */
function confirmCard(candidate: string): number {
  return longestPrefix(candidate, " -", (prefix) => {
    const digits = digitsOf(prefix);
    return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && passesLuhn(digits);
  });
}

/** An IBAN: the country's length where the registry gives one, 15–34 otherwise, and a MOD 97 checksum. */
function confirmIban(candidate: string): number {
  const expected = ibanLengths[candidate.slice(0, 2)];
  return longestPrefix(candidate, " ", (prefix) => {
    const compact = prefix.replaceAll(" ", "");
    const lengthFits = expected === undefined ? compact.length >= 15 && compact.length <= 34 : compact.length === expected;
    return lengthFits && passesIbanChecksum(compact);
  });
}

/** An international number: 8 to 15 digits, the most E.164 allows. */
function confirmInternationalPhone(candidate: string): number {
  return longestPrefix(candidate, " .-", (prefix) => {
    const count = digitsOf(prefix).length;
    return count >= 8 && count <= 15;
  });
}

/** A North American number: neither area code nor exchange starts with 0 or 1. */
function confirmNanpPhone(candidate: string): number {
  const digits = digitsOf(candidate);
  const national = digits.length === 11 ? digits.slice(1) : digits;
  return /^[2-9]\d\d[2-9]/.test(national) ? candidate.length : 0;
}

/** A national number with trunk prefix 0: 10 to 12 digits, so a ZIP+4 code or a date stays. */
function confirmTrunkPhone(candidate: string): number {
  return longestPrefix(candidate, " -", (prefix) => {
    const count = digitsOf(prefix).length;
    return count >= 10 && count <= 12;
  });
}

/**
 * Random key material holds a digit or a capital letter within its first
 * characters (all but certainly); a hyphenated lowercase phrase after `sk-` does not.
 */
function confirmKeyLike(candidate: string): number {
  return /[0-9A-Z]/.test(candidate.slice(candidate.indexOf("-") + 1)) ? candidate.length : 0;
}

/** A bearer token after an `Authorization:` label, or one that holds a digit or is 20 characters or more. */
function confirmBearer(candidate: string): number {
  const token = candidate.replace(/^(?:[Aa]uthorization:[ \t]?)?(?:[Bb]earer|BEARER)[ \t]/, "");
  const labelled = /^[Aa]uthorization:/.test(candidate);
  return labelled || /\d/.test(token) || token.length >= 20 ? candidate.length : 0;
}

const tokenChars = "[A-Za-z0-9_-]";

/**
 * A national phone number does not start inside a longer number (a word
 * character, `+`, `.` or `-` right before it) nor right after another group
 * ("DE88 3704 0044 0532 0130 00", an IBAN with a typo, holds "0044 0532 0130").
 */
const groupContinues = "[0-9A-Za-z_+.-]|[0-9A-Za-z][ -]";

/** The built-in detectors, highest priority first (priority breaks ties between matches of one start and length). */
export const builtInDetectors: readonly Detector[] = [
  {
    // PEM private keys (PKCS#1, PKCS#8, EC, OpenSSH, PGP): from the BEGIN line to the END line.
    name: "private-key",
    kind: "private_key",
    pattern: String.raw`-----BEGIN [A-Z ]{0,24}PRIVATE KEY(?: BLOCK)?-----`,
    heads: ["-----BEGIN "],
    alphabet: "[A-Z -]",
    window: 58,
    runsOn: {
      chars: String.raw`[A-Za-z0-9+/=\r\n\t :,]`,
      // Header lines ("Proc-Type", "DES-EDE3-CBC") have hyphens between letters.
      joiner: "-",
      end: {
        pattern: String.raw`-----END [A-Z ]{0,24}PRIVATE KEY(?: BLOCK)?-----`,
        heads: ["-----END "],
        alphabet: "[A-Z -]",
        window: 55,
      },
    },
  },
  {
    // JWTs: a base64url JSON header, a dot, a base64url JSON payload, and so on. A JSON
    // segment over 100 characters with no dot yet counts too, so a JWT with a large
    // header is caught within the window; a base64url JSON blob that long is treated as a credential.
    name: "jwt",
    kind: "jwt",
    pattern: String.raw`eyJ(?:[A-Za-z0-9_-]{5,100}\.eyJ|[A-Za-z0-9_-]{101})`,
    notAfter: tokenChars,
    heads: ["eyJ"],
    alphabet: "[A-Za-z0-9_.-]",
    window: 108,
    runsOn: { chars: tokenChars, joiner: "." },
  },
  {
    // `Authorization: Bearer <token>` and `Bearer <token>`; the label stays.
    name: "bearer",
    kind: "bearer",
    pattern: String.raw`(?<keep>(?:[Aa]uthorization:[ \t]?)?(?:[Bb]earer|BEARER)[ \t])[A-Za-z0-9_~+/-](?:[A-Za-z0-9_~+/=-]|\.(?=[A-Za-z0-9_~+/=-])){7,47}`,
    notAfter: tokenChars,
    heads: ["[Aa]uthorization:[ \t]?[Bb]earer[ \t]", "[Aa]uthorization:[ \t]?BEARER[ \t]", "[Bb]earer[ \t]", "BEARER[ \t]"],
    alphabet: "[A-Za-z0-9._~+/=-]",
    window: 72,
    confirm: confirmBearer,
    runsOn: { chars: "[A-Za-z0-9_~+/=-]", joiner: "." },
  },
  {
    // OpenAI (`sk-`, `sk-proj-`, `sk-svcacct-`) and Anthropic (`sk-ant-`) keys.
    name: "sk-key",
    kind: "api_key",
    pattern: String.raw`sk-[A-Za-z0-9_-]{20,40}`,
    notAfter: tokenChars,
    heads: ["sk-"],
    alphabet: tokenChars,
    window: 44,
    confirm: confirmKeyLike,
    runsOn: { chars: tokenChars },
  },
  {
    name: "github-token",
    kind: "github_token",
    pattern: String.raw`gh[pousr]_[A-Za-z0-9]{36}`,
    notAfter: tokenChars,
    heads: ["gh[pousr]_"],
    alphabet: "[A-Za-z0-9]",
    window: 41,
    runsOn: { chars: "[A-Za-z0-9]" },
  },
  {
    name: "github-fine-grained-token",
    kind: "github_token",
    pattern: String.raw`github_pat_[A-Za-z0-9]{22}`,
    notAfter: tokenChars,
    heads: ["github_pat_"],
    alphabet: "[A-Za-z0-9]",
    window: 34,
    runsOn: { chars: "[A-Za-z0-9_]" },
  },
  {
    name: "slack-token",
    kind: "api_key",
    pattern: String.raw`xox[abpr]-[A-Za-z0-9-]{10,40}`,
    notAfter: tokenChars,
    heads: ["xox[abpr]-"],
    alphabet: "[A-Za-z0-9-]",
    window: 46,
    confirm: confirmKeyLike,
    runsOn: { chars: "[A-Za-z0-9-]" },
  },
  {
    name: "aws-access-key-id",
    kind: "aws_key",
    pattern: String.raw`A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])`,
    notAfter: "[A-Za-z0-9]",
    heads: ["A[KS]IA"],
    alphabet: "[A-Z0-9]",
    window: 21,
  },
  {
    // Only when labelled: 40 base64 characters alone are too common to call a secret.
    name: "aws-secret-access-key",
    kind: "aws_key",
    pattern: String.raw`(?<keep>(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])`,
    flags: "i",
    notAfter: "[A-Za-z0-9_]",
    heads: ["aws[_-]?secret[_-]?access[_-]?key", "aws[_-]?secret[_-]?key", "secret[_-]?access[_-]?key"],
    alphabet: String.raw`["' \t:=A-Za-z0-9/+]`,
    window: 73,
  },
  {
    // At most 120 characters in a run of address characters, so a match is decided
    // within the window; an address longer than that (the RFC allows 254) stays.
    name: "email",
    kind: "email",
    pattern: String.raw`(?=[A-Za-z0-9._%+@-]{1,120}(?![A-Za-z0-9._%+@-]))[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
    notAfter: "[A-Za-z0-9._%+-]",
    heads: ["[A-Za-z0-9._%+-]"],
    alphabet: "[A-Za-z0-9._%+@-]",
    window: 121,
  },
  {
    // 13–19 digits, contiguous or in groups of four with one space or dash (4-6-5 and
    // 4-6-4 for Amex and Diners), confirmed by Luhn.
    name: "card",
    kind: "card",
    pattern: String.raw`(?:\d{13,19}|\d{4}([ -])\d{4}(?:\1\d{4}){1,2}(?:\1\d{1,4})?|\d{4}([ -])\d{6}\2\d{4,5})(?![0-9A-Za-z_])`,
    notAfter: "[0-9A-Za-z_]",
    heads: [String.raw`\d`],
    alphabet: "[0-9 -]",
    window: 25,
    confirm: confirmCard,
  },
  {
    // Country code, BBAN, uppercase; compact or in groups of four.
    name: "iban",
    kind: "iban",
    pattern: String.raw`[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![A-Za-z0-9])`,
    notAfter: "[A-Za-z0-9]",
    heads: [String.raw`[A-Z][A-Z]\d\d`],
    alphabet: "[A-Z0-9 ]",
    window: 45,
    confirm: confirmIban,
  },
  {
    // `+` and a country code: E.164 written solid, or grouped with spaces, dots or
    // dashes, and a `(0)` or an area code in brackets.
    name: "phone-international",
    kind: "phone",
    pattern: String.raw`\+[1-9](?:\d{7,14}|\d{0,3}(?:[ .-]?\(\d{1,4}\)[ .-]?\d{1,10})?(?:[ .-]\d{1,10}){1,5})(?![0-9])`,
    notAfter: "[0-9A-Za-z_+]",
    heads: [String.raw`\+`],
    alphabet: "[0-9 ().-]",
    window: 80,
    confirm: confirmInternationalPhone,
  },
  {
    // North American: (415) 555-2671, 415-555-2671, 415.555.2671, 1 415 555 2671.
    name: "phone-nanp",
    kind: "phone",
    pattern: String.raw`(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![0-9])`,
    notAfter: groupContinues,
    heads: [String.raw`\d`, String.raw`\(`],
    alphabet: "[0-9 ().-]",
    window: 17,
    confirm: confirmNanpPhone,
  },
  {
    // National with trunk prefix 0, grouped: 020 7946 0958, (030) 1234567, 01 23 45 67 89.
    name: "phone-national",
    kind: "phone",
    pattern: String.raw`(?:\(0\d{1,4}\) ?|0\d{1,4}[ -])\d{2,8}(?:[ -]\d{2,8}){0,3}(?![0-9])`,
    notAfter: groupContinues,
    heads: ["0", String.raw`\(0`],
    alphabet: "[0-9 ()-]",
    window: 44,
    confirm: confirmTrunkPhone,
  },
];

/** A group of a custom pattern, while it is being read. */
interface GroupScope {
  readonly start: number;
  /** It holds a quantifier of variable count or an alternation, at any depth. */
  risky: boolean;
}

/** A quantifier of a custom pattern: how many characters it takes up, and the repetitions it allows. */
interface Quantifier {
  readonly length: number;
  readonly min: number;
  readonly max: number;
}

/** The quantifier at `at`, if any. */
function quantifierAt(source: string, at: number): Quantifier | undefined {
  const braces = /^\{(\d+)(,?)(\d*)\}/.exec(source.slice(at));
  let found: Quantifier | undefined;
  if (source[at] === "*" || source[at] === "+") {
    found = { length: 1, min: source[at] === "*" ? 0 : 1, max: Infinity };
  } else if (source[at] === "?") {
    found = { length: 1, min: 0, max: 1 };
  } else if (braces !== null) {
    const min = Number(braces[1]);
    const max = braces[2] === "" ? min : braces[3] === "" ? Infinity : Number(braces[3]);
    found = { length: braces[0].length, min, max };
  }
  // A lazy quantifier (`+?`) repeats the same way.
  return found !== undefined && source[at + found.length] === "?" ? { ...found, length: found.length + 1 } : found;
}

/**
 * Why a custom pattern from configuration cannot be used, or undefined when it
 * can. Rejects what is not a regex, what matches the empty string, lookbehind
 * (a stream keeps one character before a match), and a repeated group holding
 * a variable quantifier or an alternation, the shape of catastrophic
 * backtracking (`(a+)+`, `(a|ab)*`): conservative, since a safe pattern can
 * always be written without that nesting.
 */
export function customPatternProblem(source: string): string | undefined {
  let compiled: RegExp;
  try {
    compiled = new RegExp(source, "u");
  } catch (err) {
    return `is not a valid regular expression (${err instanceof Error ? err.message : String(err)})`;
  }
  if (compiled.test("")) {
    return "matches the empty string";
  }
  const scopes: GroupScope[] = [{ start: 0, risky: false }];
  for (let at = 0; at < source.length; at++) {
    const char = source[at];
    let closed: GroupScope | undefined;
    if (char === "\\") {
      const escaped = source[at + 1];
      const braced = (escaped === "p" || escaped === "P" || escaped === "u") && source[at + 2] === "{";
      at = braced ? source.indexOf("}", at) : escaped === "k" && source[at + 2] === "<" ? source.indexOf(">", at) : at + 1;
    } else if (char === "[") {
      for (at++; at < source.length && source[at] !== "]"; at++) {
        at += source[at] === "\\" ? 1 : 0;
      }
    } else if (char === "(") {
      if (source.startsWith("(?<=", at) || source.startsWith("(?<!", at)) {
        return "uses a lookbehind, but a stream keeps only one character before a match";
      }
      scopes.push({ start: at, risky: false });
      continue;
    } else if (char === ")") {
      closed = scopes.pop();
      const parent = scopes.at(-1);
      if (closed !== undefined && parent !== undefined) {
        parent.risky ||= closed.risky;
      }
    } else if (char === "|") {
      const scope = scopes.at(-1);
      if (scope !== undefined) {
        scope.risky = true;
      }
      continue;
    }
    const quantifier = quantifierAt(source, at + 1);
    if (quantifier === undefined) {
      continue;
    }
    if (closed?.risky === true && quantifier.max > 1) {
      const group = source.slice(closed.start, at + 1 + quantifier.length);
      return (
        `repeats a group holding a quantifier or an alternation (${group}), ` +
        "which can backtrack catastrophically; write it without that nesting"
      );
    }
    const scope = scopes.at(-1);
    if (scope !== undefined && quantifier.min !== quantifier.max) {
      scope.risky = true;
    }
    at += quantifier.length;
  }
  return undefined;
}
