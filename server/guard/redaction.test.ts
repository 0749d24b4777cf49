import { describe, expect, it } from "vitest";
import { redactionKinds } from "./redaction-patterns.js";
import { RedactorConfigError, createRedactor, customMatchLength, isRedactorConfigError } from "./redaction.js";
import { createStreamRedactor } from "./stream-redactor.js";

const card = "4111 1111 1111 1111";

describe("createRedactor", () => {
  it("counts every kind, zero for the kinds it did not find", () => {
    const { text, counts } = createRedactor().redact(`mail a@example.com or b@example.org, card ${card}`);
    expect(text).toBe("mail [REDACTED:email] or [REDACTED:email], card [REDACTED:card]");
    expect(Object.keys(counts).sort()).toEqual([...redactionKinds].sort());
    expect(counts).toMatchObject({ email: 2, card: 1, phone: 0, custom: 0 });
  });

  it("redacts only the kinds it is given", () => {
    const redactor = createRedactor({ kinds: ["email"] });
    expect(redactor.redact(`a@example.com ${card}`).text).toBe(`[REDACTED:email] ${card}`);
  });

  it("names an unknown kind", () => {
    expect(() => createRedactor({ kinds: ["email", "passport" as never] })).toThrow(/^kinds\[1\]: /);
  });

  it("holds back less when fewer kinds are on", () => {
    expect(createRedactor({ kinds: ["card"] }).maxHoldback).toBeLessThan(createRedactor().maxHoldback);
  });
});

describe("custom patterns", () => {
  it("redact their matches as custom", () => {
    const redactor = createRedactor({ customPatterns: [{ name: "employee-id", pattern: String.raw`\bEMP-\d{6}\b` }] });
    expect(redactor.redact("ask EMP-123456 or EMP-1234567").text).toBe("ask [REDACTED:custom] or EMP-1234567");
    expect(redactor.redact("EMP-123456").counts.custom).toBe(1);
  });

  it("keep a `keep` group verbatim, like a label", () => {
    const redactor = createRedactor({ customPatterns: [{ pattern: String.raw`(?<keep>ticket=)[a-z0-9]{12}` }] });
    expect(redactor.redact("see ticket=abcdef012345 now").text).toBe("see ticket=[REDACTED:custom] now");
  });

  it(`match at most ${customMatchLength} characters from a start, the window a stream can decide in`, () => {
    const redactor = createRedactor({ customPatterns: [{ pattern: String.raw`X+` }] });
    expect(redactor.redact("X".repeat(customMatchLength)).text).toBe("[REDACTED:custom]");
    // From the first X the match would be too long; from the second it fits.
    expect(redactor.redact("X".repeat(customMatchLength + 1)).text).toBe("X[REDACTED:custom]");
  });

  it.each([
    ["(unclosed", /^customPatterns\[1\] \(ticket\): is not a valid regular expression/],
    [String.raw`(\w+)+$`, /^customPatterns\[1\] \(ticket\): repeats a group .*backtrack catastrophically/],
    ["", /^customPatterns\[1\]\.pattern: /],
  ])("reject %j at creation, naming the pattern", (pattern, message) => {
    const create = () => createRedactor({ customPatterns: [{ pattern: "ok" }, { name: "ticket", pattern }] });
    expect(create).toThrow(RedactorConfigError);
    expect(create).toThrow(message);
  });

  it("need the custom kind to be on", () => {
    expect(() => createRedactor({ kinds: ["email"], customPatterns: [{ pattern: "ACME" }] })).toThrow(/^kinds: customPatterns are set/);
  });

  it("fail with an error its guard recognises", () => {
    let caught: unknown;
    try {
      createRedactor({ customPatterns: [{ pattern: "(" }] });
    } catch (err) {
      caught = err;
    }
    expect(isRedactorConfigError(caught)).toBe(true);
    expect(isRedactorConfigError(new Error("customPatterns[0]: bad"))).toBe(false);
  });
});

describe("overlapping matches", () => {
  it("go to the leftmost start", () => {
    const redactor = createRedactor({ customPatterns: [{ pattern: "2671 ok" }] });
    expect(redactor.redact("call +1 415 555 2671 ok").text).toBe("call [REDACTED:phone] ok");
  });

  it("go to the longest match at one start", () => {
    const shorter = createRedactor({ customPatterns: [{ pattern: "4111 1111" }] });
    const longer = createRedactor({ customPatterns: [{ pattern: `${card} EXP 12/29` }] });
    expect(shorter.redact(`${card} EXP 12/29`).text).toBe("[REDACTED:card] EXP 12/29");
    expect(longer.redact(`${card} EXP 12/29`).text).toBe("[REDACTED:custom]");
  });

  it("go to the detector listed first when start and length tie, built-ins before custom patterns", () => {
    const redactor = createRedactor({ customPatterns: [{ pattern: String.raw`\d{4} \d{4} \d{4} \d{4}` }] });
    expect(redactor.redact(card).text).toBe("[REDACTED:card]");
  });

  it("go to a token that runs on, over a bounded match at the same start", () => {
    expect(createRedactor().redact("sk-Ab3dEf6hIj9kLm2nOp5qRs8t@example.com").text).toBe("[REDACTED:api_key]@example.com");
  });
});

describe("redacting a mebibyte of adversarial text", () => {
  const mebibyte = 1 << 20;
  const fill = (unit: string) => unit.repeat(Math.ceil(mebibyte / unit.length));
  const every = createRedactor();
  const withCustom = createRedactor({ customPatterns: [{ pattern: String.raw`\d+X` }, { pattern: String.raw`\bEMP-\d{6}\b` }] });

  // Each pattern is bounded and tried once per start, so these take well under a
  // second; a pattern that backtracked over the whole run would take hours.
  it.each([
    ["letters", fill("a")],
    ["dotted letters", fill("a.")],
    ["at signs", fill("a@")],
    ["digits", fill("1")],
    ["spaced digits", fill("1 ")],
    ["four-digit groups", fill("4112 ")],
    ["IBAN heads", fill("DE89 ")],
    ["plus signs", fill("+1 ")],
    ["brackets", fill("(")],
    ["dashes", fill("-")],
    ["Bearer labels", fill("Bearer ")],
    ["key prefixes", fill("sk-")],
  ])("scans %s once, leaving them as they were", (_name, text) => {
    expect(every.redact(text).text).toBe(text);
    expect(withCustom.redact(text).text).toBe(text);
  });

  it.each([
    ["a JWT", `eyJ${fill("a")}`, "[REDACTED:jwt]"],
    ["a PEM block with no END line", `-----BEGIN PRIVATE KEY-----\n${fill("QUJD\n")}`, "[REDACTED:private_key]"],
  ])("redacts %s a mebibyte long as one match", (_name, text, output) => {
    expect(every.redact(text).text).toBe(output);
  });

  it("streams a mebibyte in 4 KiB deltas to the same text as redacting it whole", () => {
    const text = fill(`write to a@example.com, ${card}, +44 20 7946 0958 and 17 * 23 = 391. `);
    const stream = createStreamRedactor(every);
    let output = "";
    for (let at = 0; at < text.length; at += 4096) {
      output += stream.push(text.slice(at, at + 4096));
    }
    expect(output + stream.end()).toBe(every.redact(text).text);
  });
});
