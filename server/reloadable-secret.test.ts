import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCapturedLogger, type CapturedLogger } from "../test/support/captured-logger.js";
import { parseSecretSetting } from "./config.js";
import { createReloadableSecret } from "./reloadable-secret.js";

// A secret given as NAME_FILE and reread on SIGHUP: the new value is in force once it has been
// read, parsed and put to use; otherwise the old one stays. Each reread is one log line that
// names the setting and its file, never the value.

const before = "sk-before-0123456789";
const after = "sk-after-9876543210";

let dir: string;
let file: string;
let logs: CapturedLogger;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reloadable-secret-"));
  file = join(dir, "openai-key");
  writeFileSync(file, `${before}\n`);
  logs = createCapturedLogger();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function providerKey(use?: (value: string) => Promise<void>) {
  return createReloadableSecret({
    name: "OPENAI_API_KEY",
    file,
    initial: before,
    parse: (text) => parseSecretSetting("OPENAI_API_KEY", text),
    ...(use === undefined ? {} : { use }),
    logger: logs.logger,
  });
}

/** Every line logged, as written, to look for values that must not be there. */
const logged = () => JSON.stringify(logs.lines);

describe("createReloadableSecret", () => {
  it("holds the start-up value until a reread, then the file's, logging the name and file", async () => {
    const secret = providerKey();
    expect(secret.current()).toBe(before);
    writeFileSync(file, `${after}\n`);
    expect(secret.current()).toBe(before);

    await secret.reread();

    expect(secret.current()).toBe(after);
    expect(logs.lines).toEqual([
      expect.objectContaining({ level: "info", setting: "OPENAI_API_KEY", file, changed: true, msg: `reread OPENAI_API_KEY from ${file}` }),
    ]);
    expect(logged()).not.toContain(before);
    expect(logged()).not.toContain(after);
  });

  it("says when the file holds the value in force already", async () => {
    const secret = providerKey();
    await secret.reread();
    expect(logs.lines).toEqual([expect.objectContaining({ level: "info", changed: false, msg: `reread OPENAI_API_KEY from ${file} (unchanged)` })]);
  });

  it.each([
    { what: "a file that is gone", arrange: () => rmSync(file), reason: "ENOENT" },
    { what: "an empty file", arrange: () => writeFileSync(file, "\n"), reason: "OPENAI_API_KEY: is empty" },
  ])("keeps the value in force for $what, and logs why as an error", async ({ arrange, reason }) => {
    const secret = providerKey();
    arrange();
    await secret.reread();
    expect(secret.current()).toBe(before);
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: "error",
        setting: "OPENAI_API_KEY",
        file,
        reason,
        msg: `OPENAI_API_KEY_FILE: cannot use ${file} (${reason}); the value read before stays in force`,
      }),
    ]);
  });

  it("keeps the value in force when a value that does not parse is refused, without quoting it", async () => {
    const secret = createReloadableSecret({
      name: "DATABASE_URL",
      file,
      initial: "postgres://agent:old@db:5432/agent",
      parse: (text) => parseSecretSetting("DATABASE_URL", text),
      logger: logs.logger,
    });
    writeFileSync(file, `mysql://agent:${after}@db/agent\n`);
    await secret.reread();
    expect(secret.current()).toBe("postgres://agent:old@db:5432/agent");
    expect(logs.at("error")).toHaveLength(1);
    expect(String(logs.at("error")[0]?.["reason"])).toMatch(/^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(logged()).not.toContain(after);
  });

  it("puts the new value to use before it is in force, and keeps the old one when that fails", async () => {
    const seen: string[] = [];
    let accept = false;
    const secret = providerKey(async (value) => {
      // Still the old value while the new one is being put to use.
      seen.push(`${value} while ${secret.current()}`);
      if (!accept) {
        throw new Error("the key cannot be imported");
      }
    });
    writeFileSync(file, after);

    await secret.reread();
    expect(secret.current()).toBe(before);
    expect(logs.at("error")[0]?.["reason"]).toBe("the key cannot be imported");

    accept = true;
    await secret.reread();
    expect(secret.current()).toBe(after);
    expect(seen).toEqual([`${after} while ${before}`, `${after} while ${before}`]);
  });
});
