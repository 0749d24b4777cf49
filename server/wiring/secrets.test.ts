import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCapturedLogger, type CapturedLogger } from "../../test/support/captured-logger.js";
import { loadConfig } from "../config.js";
import { wireSecrets } from "./secrets.js";

// The secret settings as the service reads them at each use, and SIGHUP's reread of the ones
// given as files: values in force, what may change while running, one log line per file.

let dir: string;
let logs: CapturedLogger;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wire-secrets-"));
  logs = createCapturedLogger();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `content` to the file `name` in the test's directory and returns its path. */
function file(name: string, content: string | object): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? `${content}\n` : JSON.stringify(content));
  return path;
}

function secretsOf(env: Record<string, string>) {
  return wireSecrets({ config: loadConfig({ AGENT_DATA_DIR: "memory://", ...env }), logger: logs.logger });
}

describe("wireSecrets", () => {
  it("gives each model its own key, else OPENAI_API_KEY, else a placeholder the simulator accepts", () => {
    const models = file("models.json", {
      models: [
        { name: "own", baseUrl: "http://127.0.0.1:9001/v1", apiKeyEnv: "OWN_KEY" },
        { name: "inline", baseUrl: "http://127.0.0.1:9002/v1", apiKey: "sk-inline" },
        { name: "shared", baseUrl: "http://127.0.0.1:9003/v1" },
      ],
    });
    const secrets = secretsOf({ AGENT_MODELS_FILE: models, OWN_KEY: "sk-own", OPENAI_API_KEY: "sk-shared" });
    expect(["own", "inline", "shared"].map((model) => secrets.providerKey(model)())).toEqual(["sk-own", "sk-inline", "sk-shared"]);
    expect(secretsOf({}).providerKey("sim-small")()).toBe("simulator");
  });

  it("rereads the provider keys given as files, each once however many models read it, logging names only", async () => {
    const [shared, own] = [file("openai-key", "sk-shared-before"), file("own-key", "sk-own-before")];
    const models = file("models.json", {
      models: [
        { name: "own", baseUrl: "http://127.0.0.1:9001/v1", apiKeyEnv: "OWN_KEY" },
        { name: "same-key", baseUrl: "http://127.0.0.1:9002/v1", apiKeyEnv: "OWN_KEY" },
        { name: "shared", baseUrl: "http://127.0.0.1:9003/v1" },
      ],
    });
    const secrets = secretsOf({ AGENT_MODELS_FILE: models, OPENAI_API_KEY_FILE: shared, OWN_KEY_FILE: own });
    const keys = () => ["own", "same-key", "shared"].map((model) => secrets.providerKey(model)());
    expect(keys()).toEqual(["sk-own-before", "sk-own-before", "sk-shared-before"]);

    file("openai-key", "sk-shared-after");
    file("own-key", "sk-own-after");
    await secrets.reload();

    expect(keys()).toEqual(["sk-own-after", "sk-own-after", "sk-shared-after"]);
    expect(logs.lines.map((line) => [line["level"], line["setting"]])).toEqual([
      ["info", "OPENAI_API_KEY"],
      ["info", "OWN_KEY"],
    ]);
    expect(JSON.stringify(logs.lines)).not.toMatch(/sk-(own|shared)-/);
  });

  it("keeps the start-up value of a setting given in the environment: only files are reread", async () => {
    const secrets = secretsOf({ OPENAI_API_KEY: "sk-env" });
    await secrets.reload();
    expect(secrets.providerKey("sim-small")()).toBe("sk-env");
    expect(logs.lines).toEqual([]);
  });

  it.each([
    { name: "DATABASE_URL", before: "postgres://agent:before@db:5432/agent", read: "databaseUrl" },
    { name: "REDIS_URL", before: "redis://:before@cache:6379/0", read: "redisUrl" },
  ] as const)("takes a new user name and password in $name", async ({ name, before, read }) => {
    const path = file(name, before);
    const secrets = secretsOf({ [`${name}_FILE`]: path });
    expect(secrets[read]?.()).toBe(before);
    const rotated = new URL(before);
    rotated.username = "agent";
    rotated.password = "after";
    file(name, rotated.href);
    await secrets.reload();
    expect(secrets[read]?.()).toBe(rotated.href);
    expect(logs.at("info").map((line) => line["setting"])).toEqual([name]);
  });

  it.each([
    { name: "DATABASE_URL", before: "postgres://agent:before@db:5432/agent", after: "postgres://agent:after@db-2:5432/agent", read: "databaseUrl" },
    { name: "DATABASE_URL", before: "postgres://agent:before@db:5432/agent", after: "postgres://agent:after@db:5432/other", read: "databaseUrl" },
    { name: "REDIS_URL", before: "redis://:before@cache:6379/0", after: "redis://:after@cache:6379/1", read: "redisUrl" },
    { name: "REDIS_URL", before: "redis://:before@cache:6379/0", after: "rediss://:after@cache:6379/0", read: "redisUrl" },
  ] as const)("refuses a $name that names another server or database, keeping the old one", async ({ name, before, after, read }) => {
    const secrets = secretsOf({ [`${name}_FILE`]: file(name, before) });
    file(name, after);
    await secrets.reload();
    expect(secrets[read]?.()).toBe(before);
    const [line] = logs.at("error");
    expect(line?.["setting"]).toBe(name);
    expect(String(line?.["msg"])).toContain("only the user name and password can change while the service runs");
    expect(JSON.stringify(logs.lines)).not.toMatch(/:(before|after)@/);
  });

  it("rereads OTEL_EXPORTER_OTLP_HEADERS, and keeps them when the file turns bad", async () => {
    const path = file("otlp-headers", "authorization=Bearer%20before");
    const secrets = secretsOf({ OTEL_EXPORTER_OTLP_HEADERS_FILE: path });
    expect(secrets.otlpHeaders()).toEqual({ authorization: "Bearer before" });
    file("otlp-headers", "authorization=Bearer%20after");
    await secrets.reload();
    expect(secrets.otlpHeaders()).toEqual({ authorization: "Bearer after" });
    file("otlp-headers", "no pairs here");
    await secrets.reload();
    expect(secrets.otlpHeaders()).toEqual({ authorization: "Bearer after" });
    expect(logs.lines.map((line) => line["level"])).toEqual(["info", "error"]);
  });
});
