import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { passesIbanChecksum, passesLuhn, redactionKinds } from "./redaction-patterns.js";
import { createRedactor, type Redactor } from "./redaction.js";
import { createStreamRedactor } from "./stream-redactor.js";

/** A secret placed in generated text, and the parts of it that must never reach the output. */
interface Planted {
  readonly text: string;
  readonly secrets: readonly string[];
}

const base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const chars = (alphabet: string, minLength: number, maxLength = minLength) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
const digits = (length: number) => chars("0123456789", length);
/** Key material with one digit, anywhere: a detector that wants a digit has to look far enough. */
const keyMaterial = (alphabet: string, length: number) =>
  fc
    .tuple(chars(alphabet.replace(/\d/g, ""), length - 1), fc.nat({ max: length - 1 }), fc.constantFrom(..."0123456789"))
    .map(([body, at, digit]) => body.slice(0, at) + digit + body.slice(at));
const plain = (text: string): Planted => ({ text, secrets: [text] });

const cardArb = fc
  .tuple(fc.constantFrom("4", "51", "55", "22", "6011"), digits(15), fc.constantFrom("", " ", "-"))
  .map(([prefix, rest, separator]) => {
    const body = (prefix + rest).slice(0, 15);
    const number = body + [..."0123456789"].find((check) => passesLuhn(body + check));
    return plain(separator === "" ? number : (number.match(/.{4}/g) ?? []).join(separator));
  });

const ibanArb = fc
  .tuple(
    fc.constantFrom(
      { country: "DE", bban: digits(18) },
      { country: "GB", bban: fc.tuple(chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4), digits(14)).map(([bank, account]) => bank + account) },
      { country: "NL", bban: fc.tuple(chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4), digits(10)).map(([bank, account]) => bank + account) },
      { country: "BE", bban: digits(12) },
      { country: "FR", bban: chars("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 23) },
    ),
    fc.boolean(),
  )
  .chain(([{ country, bban }, spaced]) =>
    bban.map((account) => {
      const check = Array.from({ length: 97 }, (_, n) => String(n + 2).padStart(2, "0")).find((digitsPair) =>
        passesIbanChecksum(country + digitsPair + account),
      );
      const compact = `${country}${check ?? "00"}${account}`;
      return plain(spaced ? (compact.match(/.{1,4}/g) ?? []).join(" ") : compact);
    }),
  );

const phoneArb = fc.oneof(
  fc
    .tuple(fc.constantFrom("1", "44", "49", "33", "61"), digits(3), digits(3), digits(4))
    .map(([country, a, b, c]) => plain(`+${country} ${a} ${b} ${c}`)),
  fc
    .tuple(fc.integer({ min: 200, max: 999 }), fc.integer({ min: 200, max: 999 }), digits(4))
    .map(([area, exchange, line]) => plain(`(${area}) ${exchange}-${line}`)),
  fc.tuple(fc.integer({ min: 10, max: 99 }), digits(4), digits(4)).map(([area, a, b]) => plain(`0${area} ${a} ${b}`)),
);

const emailArb = fc
  .tuple(
    chars("abcdefghijklmnopqrstuvwxyz", 1),
    chars("abcdefghijklmnopqrstuvwxyz0123456789._", 2, 12),
    chars("abcdefghijklmnopqrstuvwxyz", 3, 10),
    fc.constantFrom("com", "org", "io", "co.uk"),
  )
  .map(([first, rest, domain, tld]) => plain(`${first}${rest.replace(/[._]+$/, "")}x@${domain}.${tld}`));

const keyArb = fc.oneof(
  keyMaterial(`${base62}_-`, 40).map((key) => plain(`sk-proj-${key}`)),
  keyMaterial(`${base62}_-`, 80).map((key) => plain(`sk-ant-api03-${key}`)),
  keyMaterial(base62, 48).map((key) => plain(`sk-${key}`)),
  chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16).map((id) => plain(`AKIA${id}`)),
  fc
    .tuple(fc.constantFrom("aws_secret_access_key = ", "AWS_SECRET_ACCESS_KEY=", '"SecretAccessKey": "'), chars(`${base62}/+`, 40))
    .map(([label, secret]) => ({ text: label + secret + (label.startsWith('"') ? '"' : ""), secrets: [secret] })),
  fc.tuple(fc.constantFrom("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), chars(base62, 36)).map(([prefix, token]) => plain(prefix + token)),
  fc.tuple(chars(base62, 22), chars(base62, 59)).map(([id, secret]) => plain(`github_pat_${id}_${secret}`)),
  fc.tuple(digits(11), digits(11), chars(base62, 24)).map(([team, bot, secret]) => plain(`xoxb-${team}-${bot}-${secret}`)),
);

// A key id of up to 90 characters makes headers from 36 to over 150 characters long.
const jwtArb = fc
  .tuple(chars(base62, 0, 90), chars("abcdefghijklmnopqrstuvwxyz0123456789", 4, 40), fc.nat(), chars(`${base62}_-`, 43))
  .map(([keyId, subject, issuedAt, signature]) => {
    const claims = { alg: "HS256", typ: "JWT", ...(keyId === "" ? {} : { kid: keyId }) };
    const header = Buffer.from(JSON.stringify(claims)).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ sub: subject, iat: issuedAt })).toString("base64url");
    return { text: `${header}.${payload}.${signature}`, secrets: [payload, signature] };
  });

const bearerArb = fc
  .tuple(fc.constantFrom("Authorization: Bearer ", "Bearer "), keyMaterial(`${base62}-_~+/`, 32))
  .map(([label, token]) => ({ text: label + token, secrets: [token] }));

const pemArb = fc
  .tuple(
    fc.constantFrom("PRIVATE KEY", "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY"),
    fc.array(chars(`${base62}+/`, 64), { minLength: 1, maxLength: 4 }),
  )
  .map(([label, lines]) => ({ text: `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----`, secrets: lines }));

const plantedArb: fc.Arbitrary<Planted> = fc.oneof(cardArb, ibanArb, phoneArb, emailArb, keyArb, jwtArb, bearerArb, pemArb);

/** Ordinary text, near misses and the first characters of secrets, so that boundaries get stressed. */
const proseArb = fc.oneof(
  fc.constantFrom(
    "The answer is",
    "17 * 23 = 391",
    "in 2024",
    "order 12345678",
    "at 12:30",
    "on 2024-01-15",
    "version 1.2.3",
    "host 192.168.1.1",
    "costs $1,234.56",
    "id 123e4567-e89b-12d3-a456-426614174000",
    "Bearer tokens are common",
    "sk-learn is a library",
    "well-known",
    "emoji 😀 here",
    "DE",
    "eyJ",
    "sk-",
    "ghp_",
    "AKIA",
    "+1",
    "(415)",
    "0",
    "-----",
    "Authorization:",
    "@",
    ".",
    "\n",
  ),
  chars("aZ09 .-@+()_:/=,\neyJskAKI", 0, 12),
);

/**
 * Near misses of every length: runs of the characters each detector reads, and
 * heads followed by a long lowercase run before anything key-like, so that a
 * detector that decides too early (a window too small) gives itself away.
 */
const noiseArb = fc.oneof(
  chars("0123456789 -.()+", 1, 90),
  chars("ABCDEZ0123456789 ", 1, 50),
  fc
    .tuple(chars("abcXYZ019._%+-", 1, 70), chars("abcxyz019-.", 1, 60), fc.constantFrom("com", "io", "x"))
    .map(([local, domain, tld]) => `${local}@${domain}.${tld}`),
  fc
    .tuple(
      fc.constantFrom("sk-", "ghp_", "github_pat_", "xoxb-", "eyJ", "Bearer ", "AKIA", "aws_secret_access_key=", "-----BEGIN PRIVATE KEY-----\n"),
      fc.integer({ min: 0, max: 70 }).chain((length) => chars("abcdef_-", length)),
      fc.constantFrom("", "X", "9"),
      chars("abcdefXYZ019_-.+/=~ \n", 0, 60),
    )
    .map(([head, lowercase, marker, rest]) => head + lowercase + marker + rest),
);

/** Text of prose, near misses and secrets with arbitrary joins: anything may touch anything. */
const mixedTextArb = fc
  .array(
    fc.oneof(
      { arbitrary: proseArb, weight: 2 },
      { arbitrary: noiseArb, weight: 3 },
      { arbitrary: plantedArb.map((planted) => planted.text), weight: 2 },
    ),
    { maxLength: 12 },
  )
  .chain((parts) =>
    fc
      .tuple(...parts.map(() => fc.constantFrom("", " ", "\n", ", ", ".", "-")))
      .map((joins) => parts.map((part, i) => part + (joins[i] ?? "")).join("")),
  );

/** Prose with secrets set apart by punctuation or a line break, as a model writes them. */
const plantedTextArb = fc
  .array(fc.tuple(proseArb, plantedArb, fc.constantFrom(", ", "; ", "\n", " | ")), { minLength: 1, maxLength: 6 })
  .map((pieces) => ({
    text: pieces.map(([prose, planted, separator]) => `${prose}${separator}${planted.text}${separator}`).join(""),
    secrets: pieces.flatMap(([, planted]) => planted.secrets),
  }));

/** Chunk sizes, used round-robin: splits anywhere, one character included. */
const splitsArb = fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 8 });

function split(text: string, sizes: readonly number[]): string[] {
  const deltas: string[] = [];
  for (let at = 0, turn = 0; at < text.length; turn++) {
    const size = sizes[turn % sizes.length] ?? 1;
    deltas.push(text.slice(at, at + size));
    at += size;
  }
  return deltas;
}

/** Streams `deltas`, checking the holdback after every push; returns what was emitted. */
function streamAll(redactor: Redactor, deltas: readonly string[]): string {
  const stream = createStreamRedactor(redactor);
  let output = "";
  for (const delta of deltas) {
    output += stream.push(delta);
    expect(stream.held).toBeLessThanOrEqual(redactor.maxHoldback);
  }
  return output + stream.end();
}

// Each kind alone as well: with every detector on, a detector that decides too
// early can hide behind another that holds the same text back for longer.
const redactors = [
  { name: "every detector", redactor: createRedactor(), numRuns: 200 },
  {
    name: "a custom pattern too",
    redactor: createRedactor({ customPatterns: [{ name: "ticket", pattern: String.raw`\bTICKET-\d{4,8}\b` }] }),
    numRuns: 100,
  },
  ...redactionKinds
    .filter((kind) => kind !== "custom")
    .map((kind) => ({ name: `${kind} only`, redactor: createRedactor({ kinds: [kind] }), numRuns: 100 })),
];

describe.each(redactors)("stream redaction with $name", ({ redactor, numRuns }) => {
  it("equals whole-text redaction for any split of any text", () => {
    fc.assert(
      fc.property(mixedTextArb, splitsArb, (text, sizes) => {
        expect(streamAll(redactor, split(text, sizes))).toBe(redactor.redact(text).text);
      }),
      { numRuns },
    );
  });

  it("equals whole-text redaction when every delta is one character", () => {
    fc.assert(
      fc.property(mixedTextArb, (text) => {
        expect(streamAll(redactor, [...text])).toBe(redactor.redact(text).text);
      }),
      { numRuns: numRuns / 2 },
    );
  });
});

describe("stream redaction of planted secrets", () => {
  const redactor = createRedactor();

  it("never emits eight characters in a row of a planted secret, whatever the split", () => {
    fc.assert(
      fc.property(plantedTextArb, splitsArb, ({ text, secrets }, sizes) => {
        const output = streamAll(redactor, split(text, sizes));
        for (const secret of secrets) {
          for (let at = 0; at + 8 <= secret.length; at++) {
            expect(output).not.toContain(secret.slice(at, at + 8));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("holds back no more than maxHoldback while a long token arrives one character at a time", () => {
    fc.assert(
      fc.property(fc.oneof(jwtArb, pemArb, keyArb), ({ text }) => {
        const stream = createStreamRedactor(redactor);
        for (const char of `see ${text} ok`) {
          stream.push(char);
          expect(stream.held).toBeLessThanOrEqual(redactor.maxHoldback);
        }
        stream.end();
      }),
    );
  });
});

describe("createStreamRedactor", () => {
  const redactor = createRedactor();

  it("redacts a card number split over three deltas without emitting any of it", () => {
    const stream = createStreamRedactor(redactor);
    const outputs = [stream.push("Pay with 4111 11"), stream.push("11 1111 11"), stream.push("11 today"), stream.end()];
    expect(outputs.join("")).toBe("Pay with [REDACTED:card] today");
    expect(outputs[0]).toBe("Pay with ");
    expect(outputs.join("")).not.toMatch(/1111/);
  });

  it("redacts an email address split at its @", () => {
    const stream = createStreamRedactor(redactor);
    expect(stream.push("write to jane.doe")).toBe("write to ");
    expect(stream.push("@example.com now")).toBe("[REDACTED:email] ");
    expect(stream.end()).toBe("now");
    expect(stream.counts().email).toBe(1);
  });

  it("emits a JWT's placeholder before the token has finished arriving one character at a time", () => {
    const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "k".repeat(40) })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ sub: "user-1", scope: "x".repeat(300) })).toString("base64url");
    const jwt = `${header}.${payload}.${"s".repeat(86)}`;
    const text = `token ${jwt}. Done`;
    const stream = createStreamRedactor(redactor);
    let output = "";
    let placeholderAt = -1;
    [...text].forEach((char, index) => {
      output += stream.push(char);
      expect(stream.held).toBeLessThanOrEqual(redactor.maxHoldback);
      if (placeholderAt < 0 && output.includes("[REDACTED:jwt]")) {
        placeholderAt = index;
      }
    });
    output += stream.end();
    expect(output).toBe("token [REDACTED:jwt]. Done");
    // Out within the holdback of the token's start, long before its last character.
    expect(placeholderAt).toBeLessThanOrEqual("token ".length + redactor.maxHoldback);
    expect(jwt.length).toBeGreaterThan(2 * redactor.maxHoldback);
  });

  it("passes '17 * 23 = 391' through unchanged, holding back only the number that could start a phone or card", () => {
    const stream = createStreamRedactor(redactor);
    expect(stream.push("17 * 23 = 391")).toBe("17 * 23 = ");
    expect(stream.held).toBe(3);
    // "391." or "391 " could still be the start of 391.555.2671 or 391 555 2671.
    expect(stream.push(".")).toBe("");
    expect(stream.push("!")).toBe("391.!");
    expect(stream.end()).toBe("");
  });

  it("emits an ordinary word as soon as the boundary after it arrives", () => {
    const stream = createStreamRedactor(redactor);
    expect(stream.push("hello wor")).toBe("hello ");
    expect(stream.push("ld, and")).toBe("world, ");
    expect(stream.push(" more")).toBe("and ");
    expect(stream.end()).toBe("more");
  });

  it("swallows a PEM block that arrives line by line", () => {
    const body = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", "VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDu"];
    const stream = createStreamRedactor(redactor);
    const lines = ["Here it is:\n", "-----BEGIN PRIVATE KEY-----\n", `${body[0]}\n`, `${body[1]}\n`, "-----END PRIVATE KEY-----\n"];
    const output = [...lines, "Keep it safe."].map((line) => stream.push(line)).join("") + stream.end();
    expect(output).toBe("Here it is:\n[REDACTED:private_key]\nKeep it safe.");
  });

  it.each(redactors.slice(0, 2))("never splits a surrogate pair between two outputs, with $name", ({ redactor }) => {
    const text = `${"😀 ok, ".repeat(40)}a@example.com ${"🎉".repeat(70)}`;
    const stream = createStreamRedactor(redactor);
    const outputs = [...text].map((char) => stream.push(char)).concat(stream.end());
    for (const output of outputs) {
      expect(output).not.toMatch(/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/);
    }
    expect(outputs.join("")).toBe(redactor.redact(text).text);
  });

  it("keeps half a surrogate pair until the delta with the other half arrives", () => {
    const stream = createStreamRedactor(redactor);
    expect(stream.push(`ok ${"😀".charAt(0)}`)).toBe("ok ");
    expect(stream.push(`${"😀".charAt(1)}!`)).toBe("😀!");
  });

  it("throws on a push after end, so a late delta is not silently dropped", () => {
    const stream = createStreamRedactor(redactor);
    stream.end();
    expect(() => stream.push("late")).toThrow(/after end/);
  });
});
