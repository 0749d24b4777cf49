import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiKeysFileError, parseApiKeys, readApiKeys } from "./api-keys.js";

// The API keys file: a JSON array of {principal, roles, sha256[, note]}; a key
// is looked up by its SHA-256, and no error ever repeats a key.

const file = "/etc/agent/keys.json";
const newKey = () => randomBytes(32).toString("hex");
const digest = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");

/** The error `parseApiKeys` throws for `text`; fails the test when it does not throw one. */
function parseError(text: string): ApiKeysFileError {
  try {
    parseApiKeys(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiKeysFileError);
    return err as ApiKeysFileError;
  }
  throw new Error("parseApiKeys accepted the file");
}

describe("parseApiKeys", () => {
  const orders = newKey();
  const ops = newKey();

  it("looks up each key's principal, roles and how it was established", () => {
    const keys = parseApiKeys(
      JSON.stringify([
        { principal: "svc-orders", roles: ["caller"], sha256: digest(orders), note: "orders, prod" },
        { principal: "ops", roles: ["admin", "caller"], sha256: digest(ops) },
      ]),
      file,
    );
    expect(keys.size).toBe(2);
    expect(keys.lookup(orders)).toEqual({ id: "svc-orders", roles: ["caller"], via: "api-key" });
    expect(keys.lookup(ops)).toEqual({ id: "ops", roles: ["admin", "caller"], via: "api-key" });
  });

  it("finds nothing for a key that is not in the table, nor for the digest given as the key", () => {
    const keys = parseApiKeys(JSON.stringify([{ principal: "svc-orders", roles: ["caller"], sha256: digest(orders) }]), file);
    expect(keys.lookup(newKey())).toBeUndefined();
    expect(keys.lookup(orders.slice(0, -1))).toBeUndefined();
    // The file holds digests: knowing one is not knowing the key.
    expect(keys.lookup(digest(orders))).toBeUndefined();
  });

  it("accepts digests written in uppercase hex", () => {
    const keys = parseApiKeys(JSON.stringify([{ principal: "svc-orders", roles: ["caller"], sha256: digest(orders).toUpperCase() }]), file);
    expect(keys.lookup(orders)?.id).toBe("svc-orders");
  });

  it("accepts an empty table, which matches no key", () => {
    const keys = parseApiKeys("[]", file);
    expect(keys.size).toBe(0);
    expect(keys.lookup(orders)).toBeUndefined();
  });

  it("gives a frozen principal, so a caller cannot widen its roles", () => {
    const principal = parseApiKeys(JSON.stringify([{ principal: "svc-orders", roles: ["caller"], sha256: digest(orders) }]), file).lookup(orders);
    expect(Object.isFrozen(principal)).toBe(true);
    expect(Object.isFrozen(principal?.roles)).toBe(true);
  });

  it.each([
    { what: "a sha256 that is too short", entry: { principal: "svc-a", roles: ["caller"], sha256: "abc123" }, problem: /entry 1\.sha256: must be the hex SHA-256/ },
    { what: "a sha256 that is not hex", entry: { principal: "svc-a", roles: ["caller"], sha256: "z".repeat(64) }, problem: /entry 1\.sha256: must be the hex SHA-256/ },
    { what: "a sha256 of 65 digits", entry: { principal: "svc-a", roles: ["caller"], sha256: "a".repeat(65) }, problem: /entry 1\.sha256: must be the hex SHA-256/ },
    { what: "an unknown role", entry: { principal: "svc-a", roles: ["root"], sha256: "a".repeat(64) }, problem: /entry 1\.roles\.0: / },
    { what: "no roles", entry: { principal: "svc-a", roles: [], sha256: "a".repeat(64) }, problem: /entry 1\.roles: must name at least one role/ },
    { what: "an unknown field", entry: { principal: "svc-a", roles: ["caller"], sha256: "a".repeat(64), rolez: ["admin"] }, problem: /entry 1: .*rolez/ },
    { what: "a principal with a space", entry: { principal: "svc a", roles: ["caller"], sha256: "a".repeat(64) }, problem: /entry 1\.principal: must be 1 to 128 printable ASCII/ },
    { what: "no principal", entry: { roles: ["caller"], sha256: "a".repeat(64) }, problem: /entry 1\.principal: / },
  ])("rejects an entry with $what, naming the file and the entry", ({ entry, problem }) => {
    // Entry 0 is valid, so the index in the message is the bad entry's own.
    const err = parseError(JSON.stringify([{ principal: "svc-ok", roles: ["caller"], sha256: digest(orders) }, entry]));
    expect(err.message.startsWith(`${file}: `)).toBe(true);
    expect(err.message).toMatch(problem);
    expect(err.message).not.toContain("entry 0");
  });

  it("rejects a file that is not JSON, naming the file", () => {
    const err = parseError('[{"principal": "svc-a",');
    expect(err.message).toMatch(new RegExp(`^${file}: not JSON`));
  });

  it.each([
    { what: "an object", text: JSON.stringify({ principal: "svc-a", roles: ["caller"], sha256: "a".repeat(64) }) },
    { what: "a string", text: JSON.stringify("a".repeat(64)) },
    { what: "null", text: "null" },
  ])("rejects a file whose top level is $what rather than an array", ({ text }) => {
    const err = parseError(text);
    expect(err.message).toMatch(new RegExp(`^${file}: the file: `));
  });

  it("rejects a sha256 repeated by a later entry, whatever its case, naming the later entry", () => {
    const err = parseError(
      JSON.stringify([
        { principal: "svc-a", roles: ["caller"], sha256: digest(orders) },
        { principal: "svc-b", roles: ["caller"], sha256: digest(ops) },
        { principal: "svc-c", roles: ["admin"], sha256: digest(orders).toUpperCase() },
      ]),
    );
    expect(err.message).toBe(`${file}: entry 2 (svc-c) repeats the sha256 of an earlier entry`);
  });

  it("lists every bad entry at once", () => {
    const err = parseError(
      JSON.stringify([
        { principal: "svc-a", roles: ["nobody"], sha256: "a".repeat(64) },
        { principal: "svc-b", roles: ["caller"], sha256: "short" },
      ]),
    );
    expect(err.message).toMatch(/entry 0\.roles\.0: [\s\S]*entry 1\.sha256: /);
  });

  it("never repeats a value of a bad entry, such as a raw key written where its digest belongs", () => {
    const key = `sk-${newKey()}`;
    const err = parseError(
      JSON.stringify([
        { principal: "svc-a", roles: ["caller"], sha256: key },
        { principal: "svc-b", roles: ["caller"], sha256: digest(orders), key },
        { principal: "svc-c", roles: [key], sha256: digest(ops) },
      ]),
    );
    expect(err.message).toMatch(/entry 0\.sha256: .*entry 1: .*entry 2\.roles\.0: /);
    expect(err.message).not.toContain(key);
    expect(err.message).not.toContain(key.slice(0, 10));
    expect(err.message).not.toContain(key.slice(3, 13));
  });

  // Regression: the message quoted JSON.parse's, which repeats the text near the error.
  it("never repeats the content of a file that is not JSON, such as a raw key", () => {
    const key = `sk-${newKey()}`;
    for (const text of [key, `${key}\n`, `[{"principal": "svc-a", "roles": ["caller"], "sha256": ${key}}]`]) {
      const err = parseError(text);
      expect(err.message).toMatch(/not JSON/);
      expect(err.message).not.toContain(key.slice(0, 8));
    }
  });
});

describe("readApiKeys", () => {
  it("reads and parses the file", async () => {
    const key = newKey();
    const path = join(mkdtempSync(join(tmpdir(), "api-keys-")), "keys.json");
    writeFileSync(path, `${JSON.stringify([{ principal: "svc-orders", roles: ["caller"], sha256: digest(key) }], null, 2)}\n`);
    expect((await readApiKeys(path)).lookup(key)?.id).toBe("svc-orders");
  });

  it("names the path and ENOENT for a file that does not exist", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "api-keys-")), "missing.json");
    const err = await readApiKeys(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiKeysFileError);
    expect((err as ApiKeysFileError).message).toBe(`${path}: cannot be read (ENOENT)`);
    expect((err as ApiKeysFileError).cause).toMatchObject({ code: "ENOENT" });
  });

  it("names the path of a file it read but could not parse", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "api-keys-")), "keys.json");
    writeFileSync(path, JSON.stringify([{ principal: "svc-a", roles: ["caller"], sha256: "0" }]));
    await expect(readApiKeys(path)).rejects.toThrow(new RegExp(`^${path.replace(/[.]/g, "\\.")}: entry 0\\.sha256: `));
  });
});
