import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseSecretSetting } from "./config.js";

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

  it("gives structured output to the built-in simulator's models, and to a provider's only when the models file says so", () => {
    expect(loadConfig({}).models.map((m) => m.structuredOutput)).toEqual([true, true]);
    expect(loadConfig({ OPENAI_BASE_URL: "https://api.openai.com/v1", AGENT_MODELS: "gpt-4o-mini" }).models[0]?.structuredOutput).toBe(false);
    const path = modelsFile({
      models: [
        { name: "openai", baseUrl: "https://api.openai.com/v1", apiKey: "sk-x", structuredOutput: true },
        { name: "vllm", baseUrl: "http://127.0.0.1:9002/v1", apiKey: "sk-y" },
        { name: "simulated" },
      ],
    });
    expect(loadConfig({ AGENT_MODELS_FILE: path }).models.map((m) => [m.name, m.structuredOutput])).toEqual([
      ["openai", true],
      ["vllm", false],
      ["simulated", true],
    ]);
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
    { env: { OTEL_EXPORTER_OTLP_PROTOCOL: "http" }, problem: /OTEL_EXPORTER_OTLP_PROTOCOL: must be "http\/protobuf", "http\/json" or "grpc"/ },
    { env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "thrift" }, problem: /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be "http\/protobuf"/ },
    { env: { OTEL_TRACES_SAMPLER: "ratio" }, problem: /OTEL_TRACES_SAMPLER: must be always_on, always_off, traceidratio/ },
    { env: { OTEL_TRACES_SAMPLER_ARG: "1.5" }, problem: /OTEL_TRACES_SAMPLER_ARG: must be a ratio from 0 to 1/ },
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

  it("takes the OTLP protocol per signal, falling back to OTEL_EXPORTER_OTLP_PROTOCOL, and sampler ratios from 0 to 1", () => {
    expect(loadConfig({}).telemetry).toMatchObject({ otlpTracesProtocol: "http/protobuf", otlpMetricsProtocol: "http/protobuf", sdkDisabled: false });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/json" }).telemetry).toMatchObject({
      otlpTracesProtocol: "grpc",
      otlpMetricsProtocol: "http/json",
    });
    for (const ratio of ["0", "0.25", "1", "1.0", ".5"]) {
      expect(() => loadConfig({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: ratio })).not.toThrow();
    }
  });

  it("lists every bad variable at once", () => {
    expect(() => loadConfig({ PORT: "x", LOG_LEVEL: "loud" })).toThrow(/PORT[\s\S]*LOG_LEVEL/);
  });
});

/** Writes `content` to a fresh temporary file, as a mounted secret, and returns its path. */
function secretFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "secret-")), "secret");
  writeFileSync(path, content);
  return path;
}

/** The ConfigError `loadConfig(env)` throws; fails the test when it loads. */
function configError(env: Readonly<Record<string, string | undefined>>): ConfigError {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("loadConfig: the run viewer", () => {
  it("serves the viewer by default, from the package's build, with no Jaeger link", () => {
    expect(loadConfig({}).ui).toEqual({ dir: undefined, jaegerUrl: undefined });
  });

  it("takes the assets directory and the Jaeger UI base URL, without its trailing slash", () => {
    expect(loadConfig({ AGENT_UI_DIR: "/srv/viewer", AGENT_UI_JAEGER_URL: "http://localhost:16686/" }).ui).toEqual({
      dir: "/srv/viewer",
      jaegerUrl: "http://localhost:16686",
    });
    expect(loadConfig({ AGENT_UI_JAEGER_URL: "https://tracing.example.com/jaeger" }).ui?.jaegerUrl).toBe("https://tracing.example.com/jaeger");
  });

  it("turns the viewer off with AGENT_UI=off", () => {
    expect(loadConfig({ AGENT_UI: "off", AGENT_UI_DIR: "/srv/viewer" }).ui).toBeUndefined();
  });

  it.each([
    { env: { AGENT_UI: "yes" }, problem: /AGENT_UI: must be "on" or "off"/ },
    { env: { AGENT_UI_JAEGER_URL: "localhost:16686" }, problem: /AGENT_UI_JAEGER_URL: must be an http\(s\) URL of the Jaeger UI/ },
    { env: { AGENT_UI_JAEGER_URL: "ftp://jaeger.example.com" }, problem: /AGENT_UI_JAEGER_URL: must be an http\(s\) URL/ },
  ])("rejects $env, naming the setting", ({ env, problem }) => {
    expect(configError(env).message).toMatch(problem);
  });
});

describe("loadConfig: authentication", () => {
  it("refuses to listen beyond loopback without authentication, saying what to set", () => {
    const error = configError({ HOST: "0.0.0.0" });
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(/HOST: 0\.0\.0\.0 listens beyond this machine, but no authentication is configured: set AGENT_API_KEYS_FILE/);
    expect(error.message).toContain("AGENT_JWT_JWKS_URL");
  });

  it.each(["0.0.0.0", "::", "10.1.2.3", "127.0.0.1.example.com", "localhost.example.com", "agent.internal"])("counts %s as beyond loopback", (host) => {
    expect(configError({ HOST: host }).message).toContain("no authentication is configured");
  });

  it("listens beyond loopback with an API keys file", () => {
    const config = loadConfig({ HOST: "0.0.0.0", AGENT_API_KEYS_FILE: "/etc/agent/keys.json" });
    expect(config.host).toBe("0.0.0.0");
    expect(config.auth).toEqual({ apiKeysFile: "/etc/agent/keys.json", jwt: undefined });
  });

  it("listens beyond loopback with JWT verification", () => {
    const config = loadConfig({ HOST: "0.0.0.0", AGENT_JWT_JWKS_URL: "https://id.example.test/jwks.json", AGENT_JWT_ISSUER: "https://id.example.test", AGENT_JWT_AUDIENCE: "agent-service" });
    expect(config.auth.apiKeysFile).toBeUndefined();
    expect(config.auth.jwt).toEqual({
      jwksUrl: "https://id.example.test/jwks.json",
      publicKey: undefined,
      algorithms: ["RS256", "ES256"],
      issuer: "https://id.example.test",
      audience: "agent-service",
      principalClaim: "sub",
      rolesClaim: "roles",
      defaultRoles: ["caller"],
      clockSkewS: 30,
      jwksTimeoutMs: 5_000,
    });
  });

  it.each(["127.0.0.1", "127.0.0.2", "127.255.0.9", "localhost", "::1", "[::1]"])("listens on loopback %s without authentication (dev mode)", (host) => {
    const config = loadConfig({ HOST: host });
    expect(config.host).toBe(host);
    expect(config.auth).toEqual({ apiKeysFile: undefined, jwt: undefined });
  });

  it("reads the JWT knobs", () => {
    const config = loadConfig({
      AGENT_JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
      AGENT_JWT_ISSUER: "https://id.example.test",
      AGENT_JWT_AUDIENCE: "agent-service",
      AGENT_JWT_ALGORITHMS: " ES256 , EdDSA ",
      AGENT_JWT_PRINCIPAL_CLAIM: "email",
      AGENT_JWT_ROLES_CLAIM: "scope",
      AGENT_JWT_DEFAULT_ROLES: "",
      AGENT_JWT_CLOCK_SKEW_S: "0",
    });
    expect(config.auth.jwt).toMatchObject({ jwksUrl: undefined, algorithms: ["ES256", "EdDSA"], principalClaim: "email", rolesClaim: "scope", clockSkewS: 0 });
    expect(config.auth.jwt?.publicKey).toContain("\nMIIB\n");
  });

  it("requires the issuer and the audience with a JWKS URL, naming both", () => {
    const error = configError({ AGENT_JWT_JWKS_URL: "https://id.example.test/jwks.json" });
    expect(error.message).toMatch(/AGENT_JWT_ISSUER: must name the issuer/);
    expect(error.message).toMatch(/AGENT_JWT_AUDIENCE: must name the audience/);
  });

  it.each(["AGENT_JWT_ISSUER", "AGENT_JWT_AUDIENCE"])("rejects %s without a key source", (name) => {
    const error = configError({ [name]: "https://id.example.test" });
    expect(error.problems).toEqual([`${name}: is set, but neither AGENT_JWT_JWKS_URL nor AGENT_JWT_PUBLIC_KEY says where the signing keys are`]);
  });

  it("rejects both key sources at once", () => {
    const error = configError({
      AGENT_JWT_JWKS_URL: "https://id.example.test/jwks.json",
      AGENT_JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----",
      AGENT_JWT_ISSUER: "https://id.example.test",
      AGENT_JWT_AUDIENCE: "agent-service",
    });
    expect(error.message).toMatch(/AGENT_JWT_PUBLIC_KEY: must not be set together with AGENT_JWT_JWKS_URL/);
  });

  it.each(["HS256", "RS256,HS512", "none", "RS256,none", " , "])("rejects AGENT_JWT_ALGORITHMS %j: never none or HS*", (algorithms) => {
    expect(configError({ AGENT_JWT_ALGORITHMS: algorithms }).message).toMatch(/AGENT_JWT_ALGORITHMS/);
  });

  it.each([
    { env: { AGENT_JWT_JWKS_URL: "file:///etc/jwks.json" }, problem: /AGENT_JWT_JWKS_URL: must be an http\(s\) URL of a JWKS document/ },
    { env: { AGENT_JWT_DEFAULT_ROLES: "caller,root" }, problem: /AGENT_JWT_DEFAULT_ROLES.*: must list roles from caller, admin/ },
    { env: { AGENT_JWT_CLOCK_SKEW_S: "-1" }, problem: /AGENT_JWT_CLOCK_SKEW_S: must be/ },
  ])("rejects $env", ({ env, problem }) => {
    expect(configError(env).message).toMatch(problem);
  });
});

describe("loadConfig: secrets from files", () => {
  it("reads OPENAI_API_KEY from OPENAI_API_KEY_FILE, less its trailing newline", () => {
    expect(loadConfig({ OPENAI_API_KEY_FILE: secretFile("sk-from-file\n") }).openaiApiKey).toBe("sk-from-file");
  });

  it("reads AGENT_JWT_PUBLIC_KEY from a file, keeping the PEM's lines", () => {
    const pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----";
    const config = loadConfig({ AGENT_JWT_PUBLIC_KEY_FILE: secretFile(`${pem}\n`), AGENT_JWT_ISSUER: "https://id.example.test", AGENT_JWT_AUDIENCE: "agent-service" });
    expect(config.auth.jwt?.publicKey).toBe(pem);
  });

  it("reads a model's key from the file its api_key_env names with _FILE", () => {
    const path = modelsFile({ models: [{ name: "primary", baseUrl: "http://127.0.0.1:9001/v1", apiKeyEnv: "PRIMARY_KEY" }] });
    const config = loadConfig({ AGENT_MODELS_FILE: path, PRIMARY_KEY_FILE: secretFile("sk-primary\r\n") });
    expect(config.models[0]?.apiKey).toBe("sk-primary");
  });

  it("rejects a secret set both ways", () => {
    const error = configError({ OPENAI_API_KEY: "sk-env", OPENAI_API_KEY_FILE: secretFile("sk-file") });
    expect(error.message).toContain("OPENAI_API_KEY_FILE: must not be set together with OPENAI_API_KEY");
    expect(error.message).not.toContain("sk-env");
    expect(error.message).not.toContain("sk-file");
  });

  it("rejects a secret file that cannot be read, naming the variable and the path", () => {
    const path = join(mkdtempSync(join(tmpdir(), "secret-")), "missing");
    expect(configError({ OPENAI_API_KEY_FILE: path }).problems).toEqual([`OPENAI_API_KEY_FILE: cannot read ${path} (ENOENT)`]);
  });

  it.each([
    { name: "DATABASE_URL", content: "mysql://agent:hunter2@db:3306/agent\n", secret: "hunter2", problem: /DATABASE_URL: must be a postgres:\/\// },
    { name: "REDIS_URL", content: "redis://:hunter2@cache:99999", secret: "hunter2", problem: /REDIS_URL: must be a valid URL/ },
    { name: "OTEL_EXPORTER_OTLP_HEADERS", content: "api-key=s3cr3t-value,broken", secret: "s3cr3t-value", problem: /OTEL_EXPORTER_OTLP_HEADERS: must be key=value pairs/ },
  ])("never repeats the content of a bad $name_FILE", ({ name, content, secret, problem }) => {
    const error = configError({ [`${name}_FILE`]: secretFile(content) });
    expect(error.message).toMatch(problem);
    expect(error.message).not.toContain(secret);
  });

  it("lists secret-file problems together with the other bad variables", () => {
    const error = configError({ OPENAI_API_KEY_FILE: "/nonexistent/key", PORT: "x" });
    expect(error.message).toMatch(/OPENAI_API_KEY_FILE: cannot read \/nonexistent\/key[\s\S]*PORT: /);
  });

  it("records which secrets came from which files, for SIGHUP to reread, the models' keys included", () => {
    const [openaiKey, databaseUrl, primaryKey] = [secretFile("sk-shared"), secretFile("postgres://agent:pw@db:5432/agent"), secretFile("sk-primary")];
    const path = modelsFile({
      models: [
        { name: "primary", baseUrl: "http://127.0.0.1:9001/v1", apiKeyEnv: "PRIMARY_KEY" },
        { name: "backup", baseUrl: "http://127.0.0.1:9002/v1", apiKeyEnv: "BACKUP_KEY" },
        { name: "inline", baseUrl: "http://127.0.0.1:9003/v1", apiKey: "sk-inline" },
      ],
    });
    const config = loadConfig({
      AGENT_MODELS_FILE: path,
      OPENAI_API_KEY_FILE: openaiKey,
      DATABASE_URL_FILE: databaseUrl,
      PRIMARY_KEY_FILE: primaryKey,
      BACKUP_KEY: "sk-backup",
    });
    expect(config.secretFiles).toEqual({ OPENAI_API_KEY: openaiKey, DATABASE_URL: databaseUrl, PRIMARY_KEY: primaryKey });
    expect(config.models.map((m) => [m.name, m.apiKey, m.apiKeyEnv])).toEqual([
      ["primary", "sk-primary", "PRIMARY_KEY"],
      ["backup", "sk-backup", "BACKUP_KEY"],
      ["inline", "sk-inline", undefined],
    ]);
  });

  it("reads a model whose api_key_env is OPENAI_API_KEY from OPENAI_API_KEY_FILE", () => {
    // Regression: OPENAI_API_KEY, already read from its file, counted as set both ways.
    const file = secretFile("sk-shared\n");
    const path = modelsFile({ models: [{ name: "primary", baseUrl: "http://127.0.0.1:9001/v1", apiKeyEnv: "OPENAI_API_KEY" }] });
    const config = loadConfig({ AGENT_MODELS_FILE: path, OPENAI_API_KEY_FILE: file });
    expect([config.models[0]?.apiKey, config.models[0]?.apiKeyEnv, config.secretFiles]).toEqual(["sk-shared", "OPENAI_API_KEY", { OPENAI_API_KEY: file }]);
  });
});

describe("parseSecretSetting", () => {
  it.each([
    { name: "OPENAI_API_KEY", text: " sk-new ", value: "sk-new" },
    { name: "DATABASE_URL", text: "postgres://agent:new@db:5432/agent", value: "postgres://agent:new@db:5432/agent" },
    { name: "REDIS_URL", text: "redis://:new@cache:6379/0", value: "redis://:new@cache:6379/0" },
    { name: "OTEL_EXPORTER_OTLP_HEADERS", text: "authorization=Bearer%20new,x-team=a", value: { authorization: "Bearer new", "x-team": "a" } },
    { name: "AGENT_JWT_PUBLIC_KEY", text: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", value: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" },
    { name: "PRIMARY_KEY", text: "sk-primary", value: "sk-primary" },
  ])("parses a reread $name as at start-up", ({ name, text, value }) => {
    expect(parseSecretSetting(name, text)).toEqual(value);
  });

  it.each([
    { name: "DATABASE_URL", text: "mysql://agent:hunter2@db/agent", problem: "DATABASE_URL: must be a postgres:// or postgresql:// URL" },
    { name: "OTEL_EXPORTER_OTLP_HEADERS", text: "hunter2", problem: "OTEL_EXPORTER_OTLP_HEADERS: must be key=value pairs" },
    { name: "OPENAI_API_KEY", text: "  ", problem: "OPENAI_API_KEY: is empty" },
    { name: "PRIMARY_KEY", text: "", problem: "PRIMARY_KEY: is empty" },
  ])("refuses a bad or empty $name, naming it and not the value", ({ name, text, problem }) => {
    const error = (() => {
      try {
        parseSecretSetting(name, text);
      } catch (err) {
        return err;
      }
      throw new Error("parsed");
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join("\n")).toContain(problem);
    expect((error as ConfigError).message).not.toContain("hunter2");
  });
});
