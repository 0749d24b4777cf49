/**
 * Masks what must never leave the service in telemetry: credentials, email
 * addresses and long numbers (cards, accounts). Applied to prompt and
 * completion text before it goes on a span, when that is switched on.
 */
const rules: readonly { pattern: RegExp; replacement: string }[] = [
  // Provider keys (OpenAI-style), cloud access keys, bearer tokens, JWTs.
  { pattern: /\bsk-[A-Za-z0-9_-]{8,}/g, replacement: "[redacted:key]" },
  { pattern: /\bAKIA[0-9A-Z]{16}\b/g, replacement: "[redacted:key]" },
  { pattern: /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, replacement: "Bearer [redacted:token]" },
  { pattern: /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, replacement: "[redacted:token]" },
  // Email addresses. Anchored to the start of a run and bounded (a local part
  // has at most 64 characters), so a long run of letters is scanned once, not
  // once per position: untrusted text must not stall the service.
  {
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b/g,
    replacement: "[redacted:email]",
  },
  // 12 or more digits, possibly grouped by spaces or dashes: card and account numbers.
  { pattern: /\b\d(?:[ -]?\d){11,}\b/g, replacement: "[redacted:number]" },
];

/** Returns `text` with every sensitive match masked. */
export function redact(text: string): string {
  let result = text;
  for (const { pattern, replacement } of rules) {
    result = result.replace(pattern, replacement);
  }
  return result;
}
