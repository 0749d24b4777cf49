import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

function modelsFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "models-")), "models.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("loadConfig", () => {
  it("runs on embedded defaults with an empty environment", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      openaiBaseUrl: undefined,
      maxIterations: 8,
      maxIterationsCap: 25,
      logLevel: "info",
      simulatorFaults: [],
    });
    expect(config.models.map((m) => m.name)).toEqual(["sim-small", "sim-large"]);
    expect(config.models[0]?.policy).toEqual({
      attemptTimeoutMs: 30_000,
      totalTimeoutMs: 60_000,
      maxRetries: 2,
      initialBackoffMs: 250,
      maxBackoffMs: 10_000,
      retryAfterCapMs: 20_000,
      breakerThreshold: 5,
      breakerHalfOpenAfterMs: 30_000,
      breakerErrorRate: undefined,
      breakerSamplingMs: 30_000,
      breakerMinimumRps: undefined,
    });
    expect(config.http).toEqual({
      prefaceTimeoutMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 65_000,
      stalledReaderTimeoutMs: 30_000,
      maxRequestBytes: 256 * 1024,
      maxJsonDepth: 32,
      maxHeaderBytes: 16_384,
      compressMinBytes: 65_536,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("sizes the request cap for the longest input, sent as six-byte JSON escapes, unless set", () => {
    expect(loadConfig({ AGENT_MAX_INPUT_CHARS: "100000" }).http.maxRequestBytes).toBe(600_000 + 64 * 1024);
    expect(loadConfig({ HTTP_MAX_REQUEST_BYTES: "4096" }).http.maxRequestBytes).toBe(4096);
  });

  it("applies the resilience knobs from the environment to every model", () => {
    const config = loadConfig({ AGENT_MODEL_MAX_RETRIES: "0", AGENT_BREAKER_THRESHOLD: "2", AGENT_MODEL_TIMEOUT_MS: "1500" });
    expect(config.models.every((m) => m.policy.maxRetries === 0 && m.policy.breakerThreshold === 2)).toBe(true);
    expect(config.models[1]?.policy.attemptTimeoutMs).toBe(1500);
  });

  it("reads per-model base URLs, keys, knobs and prices from the models file", () => {
    const path = modelsFile({
      models: [
        { name: "primary", baseUrl: "http://127.0.0.1:9001/v1", apiKeyEnv: "PRIMARY_KEY", maxRetries: 1, price: { inputPerMillion: 1, outputPerMillion: 2 } },
        { name: "backup", baseUrl: "http://127.0.0.1:9002/v1", apiKey: "inline", breakerThreshold: 9 },
      ],
    });
    const config = loadConfig({ AGENT_MODELS_FILE: path, PRIMARY_KEY: "sk-primary", AGENT_MODEL_MAX_RETRIES: "4" });
    expect(config.models.map((m) => [m.name, m.baseUrl, m.apiKey, m.policy.maxRetries, m.policy.breakerThreshold])).toEqual([
      ["primary", "http://127.0.0.1:9001/v1", "sk-primary", 1, 5],
      ["backup", "http://127.0.0.1:9002/v1", "inline", 4, 9],
    ]);
    expect(config.models[0]?.price).toEqual({ inputPerMillion: 1, outputPerMillion: 2 });
  });

  it.each([
    { content: "{", problem: /AGENT_MODELS_FILE: .*is not valid JSON/ },
    { content: { models: [] }, problem: /AGENT_MODELS_FILE: .*models: must list at least one model/ },
    { content: { models: [{ name: "a", maxRetries: -1 }] }, problem: /AGENT_MODELS_FILE: .*models\.0\.maxRetries/ },
    { content: { models: [{ name: "a", typo: 1 }] }, problem: /AGENT_MODELS_FILE: .*typo/ },
    { content: { models: [{ name: "a", apiKeyEnv: "MISSING_KEY" }] }, problem: /reads its key from MISSING_KEY, which is not set/ },
  ])("rejects a bad models file: $problem", ({ content, problem }) => {
    expect(() => loadConfig({ AGENT_MODELS_FILE: modelsFile(content) })).toThrow(problem);
  });

  it("rejects a models file that cannot be read", () => {
    expect(() => loadConfig({ AGENT_MODELS_FILE: "/nonexistent/models.json" })).toThrow(/AGENT_MODELS_FILE: cannot read/);
  });

  it("reads a provider and its models", () => {
    const config = loadConfig({
      OPENAI_BASE_URL: "https://api.openai.com/v1",
      OPENAI_API_KEY: "sk-x",
      AGENT_MODELS: " gpt-4o-mini , gpt-4o ",
    });
    expect(config.openaiBaseUrl).toBe("https://api.openai.com/v1");
    expect(config.models.map((m) => m.name)).toEqual(["gpt-4o-mini", "gpt-4o"]);
  });

  it("treats empty values as unset", () => {
    expect(loadConfig({ PORT: "", OPENAI_BASE_URL: "" }).port).toBe(8080);
  });

  describe.each([
    { env: { PORT: "http" }, problem: /PORT: must be a whole number between 0 and 65535 \(got "http"\)/ },
    { env: { PORT: "70000" }, problem: /PORT: must be at most 65535/ },
    { env: { OPENAI_BASE_URL: "localhost:1234" }, problem: /OPENAI_BASE_URL: must be an http\(s\) URL/ },
    { env: { AGENT_MODELS: "a,,b" }, problem: /AGENT_MODELS: must be a comma-separated list/ },
    { env: { AGENT_MODELS: "a,a" }, problem: /AGENT_MODELS: must not name a model twice/ },
    { env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" }, problem: /AGENT_MODELS: must be set when OPENAI_BASE_URL is set/ },
    { env: { AGENT_MAX_ITERATIONS: "30" }, problem: /AGENT_MAX_ITERATIONS: must not exceed AGENT_MAX_ITERATIONS_CAP \(25\)/ },
    { env: { AGENT_MAX_ITERATIONS: "0" }, problem: /AGENT_MAX_ITERATIONS: must be at least 1/ },
    { env: { LOG_LEVEL: "loud" }, problem: /LOG_LEVEL: Invalid option/ },
    { env: { AGENT_BREAKER_ERROR_RATE: "1.5" }, problem: /AGENT_BREAKER_ERROR_RATE: must be a share between 0 and 1/ },
    { env: { AGENT_CACHE: "maybe" }, problem: /AGENT_CACHE: must be "on" or "off"/ },
    { env: { REDIS_URL: "127.0.0.1:6379" }, problem: /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/ },
    // Regression: port 99999 passed validation, then the Redis client threw an uncaught RangeError at start-up.
    { env: { REDIS_URL: "redis://127.0.0.1:99999" }, problem: /REDIS_URL: must be a valid URL with a host and a port from 1 to 65535/ },
    { env: { HTTP_HEADERS_TIMEOUT_MS: "40000" }, problem: /HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS \(30000\)/ },
    { env: { HTTP_STALLED_READER_TIMEOUT_MS: "60000" }, problem: /HTTP_STALLED_READER_TIMEOUT_MS: must be below AGENT_MODEL_TOTAL_TIMEOUT_MS \(60000\)/ },
    { env: { HTTP_MAX_JSON_DEPTH: "2" }, problem: /HTTP_MAX_JSON_DEPTH: must be at least 4/ },
    { env: { SIMULATOR_FAULTS: "{" }, problem: /SIMULATOR_FAULTS: must be a JSON array of fault rules/ },
    { env: { SIMULATOR_FAULTS: '[{"kind":"teapot"}]' }, problem: /SIMULATOR_FAULTS\.0\.kind/ },
  ])("rejects $env", ({ env, problem }) => {
    it("with a message naming the variable and what is allowed", () => {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(problem);
    });
  });

  it.each([
    { env: { OTEL_EXPORTER_OTLP_HEADERS: "api-key=s3cr3t-value,broken" }, secret: "s3cr3t-value", problem: /OTEL_EXPORTER_OTLP_HEADERS: must be key=value pairs/ },
    { env: { REDIS_URL: "redis//:hunter2@cache:6379" }, secret: "hunter2", problem: /REDIS_URL: must be a redis:\/\// },
    { env: { REDIS_URL: "redis://:hunter2@cache:99999" }, secret: "hunter2", problem: /REDIS_URL: must be a valid URL/ },
    { env: { DATABASE_URL: "mysql://agent:hunter2@db:3306/agent" }, secret: "hunter2", problem: /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/ },
    { env: { DATABASE_URL: "postgres://agent:hunter2@db:99999/agent" }, secret: "hunter2", problem: /DATABASE_URL: must be a valid URL with a host/ },
    { env: { OPENAI_BASE_URL: "api.example.com/v1?key=sk-abc" }, secret: "sk-abc", problem: /OPENAI_BASE_URL: must be an http\(s\) URL/ },
  ])("never repeats a value that may hold a credential: $problem", ({ env, secret, problem }) => {
    // Regression: start-up errors echoed every bad value, keys and passwords included.
    let message = "";
    try {
      loadConfig(env);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(problem);
    expect(message).not.toContain(secret);
  });

  it("reports a bad percent-escape in OTLP headers as a configuration error", () => {
    // Regression: decodeURIComponent threw a URIError that crashed start-up with a stack trace.
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: "x-key=%zz" })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: "x-key=%zz" })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS: must percent-encode/);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: "x-key=a%20b,y=1" }).telemetry.otlpHeaders).toEqual({ "x-key": "a b", y: "1" });
  });

  it("lists every bad variable at once", () => {
    expect(() => loadConfig({ PORT: "x", LOG_LEVEL: "loud" })).toThrow(/PORT[\s\S]*LOG_LEVEL/);
  });
});
