import { describe, expect, it } from "vitest";
import { builtInDetectors, customPatternProblem, passesIbanChecksum, passesLuhn, type RedactionKind } from "./redaction-patterns.js";
import { createRedactor } from "./redaction.js";

const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;

/** Per kind: texts redacted as shown, and near misses that must stay as they are. */
const cases: readonly { kind: RedactionKind; redacts: readonly (readonly [string, string])[]; keeps: readonly string[] }[] = [
  {
    kind: "email",
    redacts: [
      ["write to jane.doe+ops@example.co.uk today", "write to [REDACTED:email] today"],
      ["a@b.io", "[REDACTED:email]"],
      ["Mail ops@example.com.", "Mail [REDACTED:email]."],
      ["(bob_smith@mail.example.org)", "([REDACTED:email])"],
      // An SSH remote looks like an address; its host part goes with it.
      ["git@github.com:org/repo.git", "[REDACTED:email]:org/repo.git"],
    ],
    keeps: [
      "npm i lodash@4.17.21",
      "@types/node",
      "user@localhost",
      "foo@bar",
      "email at example dot com",
      `${"a".repeat(65)}@example.com`,
    ],
  },
  {
    kind: "phone",
    redacts: [
      ["+14155552671", "[REDACTED:phone]"],
      ["call +1 415 555 2671 now", "call [REDACTED:phone] now"],
      ["+44 20 7946 0958", "[REDACTED:phone]"],
      ["+44 (0)20 7946 0958", "[REDACTED:phone]"],
      ["+33 1 23 45 67 89", "[REDACTED:phone]"],
      ["+1-415-555-2671", "[REDACTED:phone]"],
      ["(415) 555-2671", "[REDACTED:phone]"],
      ["415-555-2671", "[REDACTED:phone]"],
      ["415.555.2671", "[REDACTED:phone]"],
      ["1-800-555-0199", "[REDACTED:phone]"],
      ["020 7946 0958", "[REDACTED:phone]"],
      ["07700 900123", "[REDACTED:phone]"],
      ["(030) 1234567", "[REDACTED:phone]"],
      ["01 23 45 67 89", "[REDACTED:phone]"],
      // Groups that follow the number are left out when they would make it too long.
      ["020 7946 0958 2024", "[REDACTED:phone] 2024"],
    ],
    keeps: [
      "17 * 23 = 391",
      "17 + 23 = 40",
      "in 2024",
      "order 12345678",
      "at 12:30",
      "2024-01-15",
      "15.01.2024",
      "01/15/2024",
      "01-15-2024",
      "2024-01-15T12:30:00Z",
      "version 1.2.3",
      "10.0.19041",
      "192.168.1.1",
      "10.100.200.300",
      "$1,234.56",
      "1,000,000",
      "1 234 567 890",
      "+20%",
      "+1.5",
      // Digits without separators, or a US area code or exchange starting with 0 or 1, or too short.
      "4155552671",
      "123-456-7890",
      "555-1234",
      "ZIP 02134-1234",
      "ISBN 978-3-16-148410-0",
      // Digit groups inside an IBAN with a typo are not a national number.
      "DE88 3704 0044 0532 0130 00",
    ],
  },
  {
    kind: "card",
    redacts: [
      ["pay with 4111 1111 1111 1111 today", "pay with [REDACTED:card] today"],
      ["4111-1111-1111-1111", "[REDACTED:card]"],
      ["4111111111111111", "[REDACTED:card]"],
      ["5500 0000 0000 0004", "[REDACTED:card]"],
      ["3782 822463 10005", "[REDACTED:card]"],
      ["378282246310005", "[REDACTED:card]"],
      ["4111 1111 1111 1111 123", "[REDACTED:card] 123"],
    ],
    keeps: [
      "4111 1111 1111 1112",
      "4111111111111112",
      "4111 1111 1111",
      "41111111111111111111",
      "4111 1111-1111 1111",
      // Luhn-valid, but 1 is not an industry that issues payment cards: a millisecond timestamp.
      "1718900000007",
      "order 12345678",
      "id 123e4567-e89b-12d3-a456-426614174000",
      "12345678-1234-1234-1234-123456789012",
    ],
  },
  {
    kind: "iban",
    redacts: [
      ["DE89 3704 0044 0532 0130 00", "[REDACTED:iban]"],
      ["to DE89370400440532013000.", "to [REDACTED:iban]."],
      ["GB82 WEST 1234 5698 7654 32", "[REDACTED:iban]"],
      ["FR14 2004 1010 0505 0001 3M02 606", "[REDACTED:iban]"],
      ["NL91ABNA0417164300", "[REDACTED:iban]"],
      // The country's length decides where it ends.
      ["BE68 5390 0754 7034 EUR", "[REDACTED:iban] EUR"],
    ],
    keeps: [
      "DE88 3704 0044 0532 0130 00",
      "DE89 3704 0044 0532 0130",
      "GB82WEST123456987654321",
      "de89 3704 0044 0532 0130 00",
      "ISO 8601",
      "HTTP2",
      "AB12CDEF",
    ],
  },
  {
    kind: "api_key",
    redacts: [
      ["key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_-Ab3dEf6hIj9k, ok", "key [REDACTED:api_key], ok"],
      ["sk-ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", "[REDACTED:api_key]"],
      ["sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6hIj9kLm2n", "[REDACTED:api_key]"],
      ["xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", "[REDACTED:api_key]"],
    ],
    keeps: [
      "sk-learn",
      "sk-learn-compatible-estimators",
      "task-Ab3dEf6hIj9kLm2nOp5qRs8tUv1w",
      "sk-Ab3dEf6hIj9",
      "xoxb-short",
      "xoxq-17653672481-19874698323",
    ],
  },
  {
    kind: "aws_key",
    redacts: [
      ["AKIAIOSFODNN7EXAMPLE", "[REDACTED:aws_key]"],
      ["id ASIAY34FZKBOKMUTVV7A here", "id [REDACTED:aws_key] here"],
      ["aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = [REDACTED:aws_key]"],
      ['AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', 'AWS_SECRET_ACCESS_KEY="[REDACTED:aws_key]"'],
      ['"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', '"SecretAccessKey": "[REDACTED:aws_key]"'],
    ],
    keeps: [
      "AKIAIOSFODNN7EXAMPL",
      "AKIAIOSFODNN7EXAMPLEX",
      "AKIA is the prefix",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "secret = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ],
  },
  {
    kind: "github_token",
    redacts: [
      [`token ghp_${"a1B2".repeat(9)} here`, "token [REDACTED:github_token] here"],
      [`gho_${"Z9y8".repeat(9)}`, "[REDACTED:github_token]"],
      [`github_pat_11ABCDEFG0123456789abc_${"x1".repeat(29)}y`, "[REDACTED:github_token]"],
    ],
    keeps: [`ghp_${"a1".repeat(10)}`, `ghx_${"a1B2".repeat(9)}`, "github_pat_short"],
  },
  {
    kind: "jwt",
    redacts: [
      ["token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl. Next", "token [REDACTED:jwt]. Next"],
      [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "[REDACTED:jwt]",
      ],
    ],
    keeps: ["eyJ", "eyJhbGciOi", "the eyJ prefix", "eyJhbGciOiJIUzI1NiJ9.notjson"],
  },
  {
    kind: "bearer",
    redacts: [
      ["Authorization: Bearer abc.def-ghi_jkl", "Authorization: Bearer [REDACTED:bearer]"],
      ["-H 'Authorization: Bearer 0123456789abcdef'", "-H 'Authorization: Bearer [REDACTED:bearer]'"],
      ["Bearer ya29.a0AfH6SMBx3kLq9", "Bearer [REDACTED:bearer]"],
      ["BEARER abcdefghijklmnopqrstuvwxyz", "BEARER [REDACTED:bearer]"],
    ],
    keeps: ["Bearer authentication", "the bearer of this letter", "Bearer tokens are common", "Use a Bearer token-based scheme"],
  },
  {
    kind: "private_key",
    redacts: [
      [`key:\n${pem("RSA PRIVATE KEY", "MIIEpAIBAAKCAQEA7bq\nabc+/=")}\nThat is all.`, "key:\n[REDACTED:private_key]\nThat is all."],
      [pem("PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), "[REDACTED:private_key]"],
      [pem("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA"), "[REDACTED:private_key]"],
      [pem("EC PRIVATE KEY", "Proc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,ABCDEF0123456789\n\nMHcCAQEE"), "[REDACTED:private_key]"],
      [pem("PGP PRIVATE KEY BLOCK", "lQOYBF0"), "[REDACTED:private_key]"],
    ],
    keeps: [pem("CERTIFICATE", "MIIBszCCAVmgAwIBAgIU"), pem("PUBLIC KEY", "MFkwEwYHKoZIzj0CAQYI"), "-----BEGIN something else"],
  },
];

describe.each(cases)("the $kind detectors", ({ kind, redacts, keeps }) => {
  const alone = createRedactor({ kinds: [kind] });
  const every = createRedactor();

  it.each(redacts)("redact %j", (input, output) => {
    expect(alone.redact(input).text).toBe(output);
    expect(every.redact(input).text).toBe(output);
  });

  it.each(keeps)("keep %j", (input) => {
    expect(every.redact(input).text).toBe(input);
  });
});

describe("passesLuhn", () => {
  it.each(["4111111111111111", "5500000000000004", "378282246310005", "0"])("accepts %s", (digits) => {
    expect(passesLuhn(digits)).toBe(true);
  });
  it.each(["4111111111111112", "1234567890123456", ""])("rejects %j", (digits) => {
    expect(passesLuhn(digits)).toBe(false);
  });
});

describe("passesIbanChecksum", () => {
  it.each(["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606", "NL91ABNA0417164300"])(
    "accepts %s",
    (iban) => {
      expect(passesIbanChecksum(iban)).toBe(true);
    },
  );
  it.each(["DE88370400440532013000", "GB82WEST12345698765433", "NL19ABNA0417164300"])("rejects %s", (iban) => {
    expect(passesIbanChecksum(iban)).toBe(false);
  });
});

describe("customPatternProblem", () => {
  it.each([
    String.raw`\bEMP-\d{6}\b`,
    String.raw`(?:\d{3}-){2}\d{4}`,
    String.raw`ACME_[A-Z0-9]{32}`,
    String.raw`\p{Lu}{3}-\d+`,
    String.raw`(?<keep>id=)\w{8,}`,
  ])("accepts %s", (source) => {
    expect(customPatternProblem(source)).toBeUndefined();
  });

  it.each([
    ["(unclosed", /not a valid regular expression/],
    ["a*", /matches the empty string/],
    [String.raw`(?<=id=)\d+`, /lookbehind/],
    [String.raw`(a+)+b`, /backtrack catastrophically/],
    [String.raw`(?:a|ab)*c`, /backtrack catastrophically/],
    [String.raw`(?:\d{1,3}\.){3}\d{1,3}`, /backtrack catastrophically/],
    [String.raw`((x\d+))*y`, /backtrack catastrophically/],
  ])("rejects %s", (source, problem) => {
    expect(customPatternProblem(source)).toMatch(problem);
  });
});

describe("the built-in detectors", () => {
  it("fit a window of 128 characters, so the holdback stays small", () => {
    for (const detector of builtInDetectors) {
      expect(detector.window, detector.name).toBeLessThanOrEqual(128);
    }
    expect(createRedactor().maxHoldback).toBe(120);
  });

  it("have unique names", () => {
    const names = builtInDetectors.map((detector) => detector.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
