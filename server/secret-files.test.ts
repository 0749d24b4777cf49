import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSecretFile, withSecretFiles } from "./secret-files.js";

// Secrets given as NAME_FILE (the container convention for mounted secrets):
// the file's content, less one trailing newline, becomes NAME; problems name
// the variable and the path, never the content.

/** Writes `content` to a fresh temporary file and returns its path. */
function secretFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "secret-files-")), "secret");
  writeFileSync(path, content);
  return path;
}

const secret = "sk-live-0123456789abcdef";

describe("withSecretFiles", () => {
  it.each([
    { what: "no newline", content: secret },
    { what: "a trailing \\n", content: `${secret}\n` },
    { what: "a trailing \\r\\n", content: `${secret}\r\n` },
  ])("reads NAME_FILE into NAME, with $what stripped", ({ content }) => {
    const { env, problems } = withSecretFiles({ OPENAI_API_KEY_FILE: secretFile(content) }, ["OPENAI_API_KEY"]);
    expect(problems).toEqual([]);
    expect(env["OPENAI_API_KEY"]).toBe(secret);
  });

  it("strips exactly one trailing newline, keeping the rest", () => {
    const { env } = withSecretFiles({ A_FILE: secretFile(`${secret}\n\n`), B_FILE: secretFile(`${secret}\r\n\r\n`), C_FILE: secretFile(`${secret} \n`) }, ["A", "B", "C"]);
    expect([env["A"], env["B"], env["C"]]).toEqual([`${secret}\n`, `${secret}\r\n`, `${secret} `]);
  });

  it("keeps the newlines inside the content, as a PEM's", () => {
    const pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\nu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt\n-----END PUBLIC KEY-----";
    const { env } = withSecretFiles({ AGENT_JWT_PUBLIC_KEY_FILE: secretFile(`${pem}\n`) }, ["AGENT_JWT_PUBLIC_KEY"]);
    expect(env["AGENT_JWT_PUBLIC_KEY"]).toBe(pem);
  });

  it("keeps the other variables, NAME_FILE included, and does not change its argument", () => {
    const path = secretFile(secret);
    const original = { OPENAI_API_KEY_FILE: path, PORT: "8080" };
    const { env } = withSecretFiles(original, ["OPENAI_API_KEY"]);
    expect(env).toEqual({ OPENAI_API_KEY_FILE: path, PORT: "8080", OPENAI_API_KEY: secret });
    expect(original).toEqual({ OPENAI_API_KEY_FILE: path, PORT: "8080" });
  });

  it("reads only the names it is given", () => {
    const { env, problems } = withSecretFiles({ OTHER_FILE: secretFile(secret) }, ["OPENAI_API_KEY"]);
    expect(problems).toEqual([]);
    expect(env["OTHER"]).toBeUndefined();
  });

  it("leaves NAME alone when NAME_FILE is unset or blank", () => {
    expect(withSecretFiles({ OPENAI_API_KEY: "sk-env" }, ["OPENAI_API_KEY"])).toEqual({ env: { OPENAI_API_KEY: "sk-env" }, problems: [] });
    expect(withSecretFiles({ OPENAI_API_KEY: "sk-env", OPENAI_API_KEY_FILE: "  " }, ["OPENAI_API_KEY"]).env["OPENAI_API_KEY"]).toBe("sk-env");
  });

  it("trims the path", () => {
    const path = secretFile(secret);
    expect(withSecretFiles({ OPENAI_API_KEY_FILE: ` ${path}\n` }, ["OPENAI_API_KEY"]).env["OPENAI_API_KEY"]).toBe(secret);
  });

  it("reports NAME set both ways, without reading the file or repeating either value", () => {
    const { env, problems } = withSecretFiles({ OPENAI_API_KEY: "sk-from-env", OPENAI_API_KEY_FILE: secretFile(secret) }, ["OPENAI_API_KEY"]);
    expect(problems).toEqual(["OPENAI_API_KEY_FILE: must not be set together with OPENAI_API_KEY; set one of them"]);
    // NAME keeps its own value; the file's never got in.
    expect(env["OPENAI_API_KEY"]).toBe("sk-from-env");
  });

  it("takes the file when NAME is set but blank", () => {
    const { env, problems } = withSecretFiles({ OPENAI_API_KEY: " ", OPENAI_API_KEY_FILE: secretFile(secret) }, ["OPENAI_API_KEY"]);
    expect(problems).toEqual([]);
    expect(env["OPENAI_API_KEY"]).toBe(secret);
  });

  it("reports a missing file by the variable, the path and the error code", () => {
    const path = join(mkdtempSync(join(tmpdir(), "secret-files-")), "missing");
    const { env, problems } = withSecretFiles({ DATABASE_URL_FILE: path }, ["DATABASE_URL"]);
    expect(problems).toEqual([`DATABASE_URL_FILE: cannot read ${path} (ENOENT)`]);
    expect(env["DATABASE_URL"]).toBeUndefined();
  });

  it("reports a path that is a directory, never its content", () => {
    const dir = mkdtempSync(join(tmpdir(), "secret-files-"));
    writeFileSync(join(dir, "secret"), secret);
    const { problems } = withSecretFiles({ REDIS_URL_FILE: dir }, ["REDIS_URL"]);
    expect(problems).toEqual([`REDIS_URL_FILE: cannot read ${dir} (EISDIR)`]);
    expect(problems.join("\n")).not.toContain(secret);
  });

  it("reports every problem at once, and still reads the good files", () => {
    const missing = join(mkdtempSync(join(tmpdir(), "secret-files-")), "missing");
    const { env, problems } = withSecretFiles(
      { DATABASE_URL_FILE: missing, REDIS_URL: "redis://cache:6379", REDIS_URL_FILE: secretFile("redis://:hunter2@cache:6379"), OPENAI_API_KEY_FILE: secretFile(secret) },
      ["DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY"],
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^DATABASE_URL_FILE: /);
    expect(problems[1]).toMatch(/^REDIS_URL_FILE: /);
    expect(problems.join("\n")).not.toContain("hunter2");
    expect(env["OPENAI_API_KEY"]).toBe(secret);
  });
});

describe("readSecretFile", () => {
  it("gives the content less one trailing newline", () => {
    expect(readSecretFile(secretFile("line 1\nline 2\n"))).toBe("line 1\nline 2");
    expect(readSecretFile(secretFile("\n"))).toBe("");
  });
});
