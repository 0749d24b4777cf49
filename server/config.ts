import { z } from "zod";
import type { ResolvedModelPolicyOptions } from "./model/model-policy.js";
import type { ModelPrice } from "./model/pricing.js";
import type { JwtSettings } from "./auth/jwt-verifier.js";
import type { Role } from "./auth/principal.js";
import { originProblem } from "./http/cors.js";
import { limitsPolicyOf, type LimitsPolicy } from "./limits/limits-policy.js";
import { redactionKinds, type RedactionKind } from "./guard/redaction-patterns.js";
import { readModelsFile } from "./models-file.js";
import { readMcpServersFile, type McpServerSettings } from "./mcp-servers-file.js";
import { secretSettings, withSecretFiles, type SecretSettingName } from "./secret-files.js";
import { faultRulesSchema, type FaultRule } from "./simulator/index.js";
import { otlpProtocols, type OtlpProtocol } from "./telemetry/otlp-exporters.js";

/** Everything the service knows about one model of the fallback chain. */
export interface ModelSettings {
  /** Model name as sent to the provider. */
  readonly name: string;
  /** The model's own base URL; undefined uses `OPENAI_BASE_URL` or the built-in simulator. */
  readonly baseUrl: string | undefined;
  /** The model's own API key; undefined uses `OPENAI_API_KEY`. Never logged. */
  readonly apiKey: string | undefined;
  /** The setting {@link apiKey} was read from (the models file's `apiKeyEnv`), or undefined when none was. */
  readonly apiKeyEnv: string | undefined;
  /** Sampling temperature. Default 0. */
  readonly temperature: number;
  /** Cache answers even when `temperature` is above 0. Default false. */
  readonly cacheAnyTemperature: boolean;
  /**
   * The model has a structured-output mode (OpenAI's `response_format` with a
   * JSON Schema), used for prompts with an output schema. The models file's
   * `structuredOutput`; default false, but true for models the built-in
   * simulator serves (no base URL of their own and no `OPENAI_BASE_URL`).
   */
  readonly structuredOutput: boolean;
  /** Timeouts, retries and circuit breaker. */
  readonly policy: ResolvedModelPolicyOptions;
  /** Price override; undefined uses the built-in price table. */
  readonly price: ModelPrice | undefined;
}

/**
 * The service's configuration, parsed once at start-up from the environment.
 * Every field is documented in the README's configuration table.
 */
export interface Config {
  /** Interface to listen on. `HOST`, default `127.0.0.1`. */
  readonly host: string;
  /** TCP port; 0 picks a free one. `PORT`, default 8080. */
  readonly port: number;
  /**
   * Base URL of an OpenAI-compatible API, such as `https://api.openai.com/v1`.
   * `OPENAI_BASE_URL`; when unset, the built-in simulator starts in-process.
   */
  readonly openaiBaseUrl: string | undefined;
  /** API key sent to the provider. `OPENAI_API_KEY`. Never logged. */
  readonly openaiApiKey: string | undefined;
  /** Models in fallback order, primary first. `AGENT_MODELS` or `AGENT_MODELS_FILE`. */
  readonly models: readonly ModelSettings[];
  /** Model turns per run when the caller sets none. `AGENT_MAX_ITERATIONS`, default 8. */
  readonly maxIterations: number;
  /** Highest `max_iterations` a caller may ask for. `AGENT_MAX_ITERATIONS_CAP`, default 25. */
  readonly maxIterationsCap: number;
  /** Run time limit when the caller sets none. `AGENT_MAX_EXECUTION_TIME_MS`, default 60,000. */
  readonly maxExecutionTimeMs: number;
  /** Highest `max_execution_time` a caller may ask for. `AGENT_MAX_EXECUTION_TIME_CAP_MS`, default 300,000. */
  readonly maxExecutionTimeCapMs: number;
  /** A run's cost budget in USD when the caller sets none, and the most it may set; 0 means none. `AGENT_MAX_RUN_COST_USD`, default 0. */
  readonly maxRunCostUsd: number;
  /** Longest accepted `input`, in characters. `AGENT_MAX_INPUT_CHARS`, default 32,768. */
  readonly maxInputChars: number;
  /** The response cache; undefined when `AGENT_CACHE=off`. */
  readonly cache:
    | {
        /** `AGENT_CACHE_MAX_ENTRIES`, default 1,000. */
        readonly maxEntries: number;
        /** `AGENT_CACHE_MAX_BYTES`, default 50 MiB. */
        readonly maxBytes: number;
        /** `AGENT_CACHE_TTL_MS`, default 600,000. */
        readonly ttlMs: number;
        /** Shared tier. `REDIS_URL`, default none (memory only). Never logged with its password. */
        readonly redisUrl: string | undefined;
        /** `AGENT_CACHE_REDIS_TIMEOUT_MS`, default 50. */
        readonly redisTimeoutMs: number;
      }
    | undefined;
  /** Telemetry: traces and metrics export. */
  readonly telemetry: {
    /** `OTEL_SDK_DISABLED`: no OpenTelemetry SDK, no OTLP export. Default false. */
    readonly sdkDisabled: boolean;
    /** `service.name`. `OTEL_SERVICE_NAME`, default `agent-service`. */
    readonly serviceName: string;
    /** `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`, default `http/protobuf`. */
    readonly otlpTracesProtocol: OtlpProtocol;
    /** `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`, default `http/protobuf`. */
    readonly otlpMetricsProtocol: OtlpProtocol;
    /** OTLP/HTTP protobuf traces URL, from `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`; undefined exports none. */
    readonly otlpTracesUrl: string | undefined;
    /** OTLP/HTTP protobuf metrics URL, likewise with `/v1/metrics`. */
    readonly otlpMetricsUrl: string | undefined;
    /** `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,…`). Never logged. */
    readonly otlpHeaders: Readonly<Record<string, string>>;
    /** `OTEL_METRIC_EXPORT_INTERVAL`, default 60,000 ms. */
    readonly metricExportIntervalMs: number;
    /** Delay between span exports. `OTEL_BSP_SCHEDULE_DELAY`, default 5,000 ms. */
    readonly spanExportDelayMs: number;
    /** Prometheus text endpoint; undefined when `METRICS_PORT=off`. */
    readonly prometheus: { readonly host: string; readonly port: number; readonly path: string } | undefined;
    /** Record prompt and completion text on spans (redacted). `AGENT_TRACE_CONTENT`, default false. */
    readonly recordContent: boolean;
    /** JSON-lines file every finished span is appended to, for `npm run trace:export`. `AGENT_TRACE_FILE`, default none. */
    readonly spanFile: string | undefined;
  };
  /** Per tool call timeout. `AGENT_TOOL_TIMEOUT_MS`, default 10,000. */
  readonly toolTimeoutMs: number;
  /** MCP servers whose tools the agent may call (see README, "MCP servers"). `AGENT_MCP_SERVERS_FILE`, default none. */
  readonly mcpServers: readonly McpServerSettings[];
  /** Runs one replica executes at once. `AGENT_MAX_CONCURRENT_RUNS`, default 64. */
  readonly maxConcurrentRuns: number;
  /** Runs that may wait for a slot; more get RESOURCE_EXHAUSTED. `AGENT_MAX_QUEUED_RUNS`, default 128. */
  readonly maxQueuedRuns: number;
  /** Time in-flight runs get to finish on SIGTERM/SIGINT. `SHUTDOWN_GRACE_MS`, default 10,000. */
  readonly shutdownGraceMs: number;
  /** What one connection and one request to the RPC port may take and hold (see README, "Limits and faults"). */
  readonly http: {
    /** Time a new connection has, in all, to send its first bytes, the HTTP/2 preface or an HTTP/1.1 request line. `HTTP_PREFACE_TIMEOUT_MS`, default 10,000. */
    readonly prefaceTimeoutMs: number;
    /** Time an HTTP/1.1 request has to send all its headers. `HTTP_HEADERS_TIMEOUT_MS`, default 10,000. */
    readonly headersTimeoutMs: number;
    /** Time a request (either HTTP version) has to send its whole body, from its first header. `HTTP_REQUEST_TIMEOUT_MS`, default 30,000. */
    readonly requestTimeoutMs: number;
    /** Time a connection may stay open with no request in flight: an HTTP/1.1 keep-alive connection, an HTTP/2 session with no open stream. `HTTP_IDLE_TIMEOUT_MS`, default 65,000. */
    readonly idleTimeoutMs: number;
    /** Time a response may wait for a client that reads nothing before the RPC is cut and its run stopped. `HTTP_STALLED_READER_TIMEOUT_MS`, default 30,000. */
    readonly stalledReaderTimeoutMs: number;
    /** Largest request message, in bytes. `HTTP_MAX_REQUEST_BYTES`, default 6 bytes per allowed input character plus 64 KiB (256 KiB with the default input cap). */
    readonly maxRequestBytes: number;
    /** Deepest nesting of arrays and objects accepted in a JSON request. `HTTP_MAX_JSON_DEPTH`, default 32. */
    readonly maxJsonDepth: number;
    /** Largest HTTP/1.1 request head (request line and headers); larger ones get 431. `HTTP_MAX_HEADER_BYTES`, default 16,384. */
    readonly maxHeaderBytes: number;
    /** Smallest response message compressed for a client that accepts gzip or brotli. `HTTP_COMPRESS_MIN_BYTES`, default 65,536. */
    readonly compressMinBytes: number;
  };
  /** The run viewer, served on the RPC port under `/ui/` (see README, "Run viewer"); undefined when `AGENT_UI=off`. */
  readonly ui:
    | {
        /** Where the built viewer is (`index.html` and `assets/`). `AGENT_UI_DIR`; default undefined: the package's own build, `dist/ui/`. */
        readonly dir: string | undefined;
        /** Jaeger UI base URL, without a trailing slash, for a run's trace link (`${jaegerUrl}/trace/${traceId}`). `AGENT_UI_JAEGER_URL`, default none. */
        readonly jaegerUrl: string | undefined;
      }
    | undefined;
  /** Browser pages on other origins (see README, "Calling from a browser"). */
  readonly cors: {
    /** Exact origins whose pages may call the service; empty sends no CORS headers. `AGENT_CORS_ORIGINS`, default none. */
    readonly allowedOrigins: readonly string[];
  };
  /** Where runs, their events and the audit log are recorded (see README, "Durable runs" and "Audit log"). */
  readonly store: {
    /** PostgreSQL connection URL; when unset, embedded PGlite under {@link dataDir}. `DATABASE_URL`. Never logged with its password. */
    readonly databaseUrl: string | undefined;
    /** PGlite's directory (`memory://` keeps nothing). `AGENT_DATA_DIR`, default `./.data`. */
    readonly dataDir: string;
    /** A dump of an initialised embedded store that a new one starts from instead of initdb (faster first start). `AGENT_DATA_TEMPLATE`, default none. */
    readonly dataTemplate: string | undefined;
    /** PostgreSQL connections per replica. `AGENT_DB_POOL_SIZE`, default 10. */
    readonly poolSize: number;
    /** Days a run and its events are kept after it ends; 0 keeps them forever. `AGENT_RUN_RETENTION_DAYS`, default 30. */
    readonly retentionDays: number;
    /** Run records held in memory while the database is slow or down, before new ones are dropped. `AGENT_RUN_RECORD_QUEUE`, default 100,000. */
    readonly maxQueuedRecords: number;
    /** How long the first queued record waits for others to share its write. `AGENT_RUN_RECORD_BATCH_MS`, default 100. */
    readonly batchMs: number;
    /** Time a shutdown waits for the last records to be written. `AGENT_RUN_RECORD_FLUSH_TIMEOUT_MS`, default 5,000. */
    readonly flushTimeoutMs: number;
    /** Hours an idempotency key is remembered after its first use. `AGENT_IDEMPOTENCY_TTL_HOURS`, default 24. */
    readonly idempotencyTtlHours: number;
    /** Audit entries held in memory while the database is slow or down, before new ones are dropped. `AGENT_AUDIT_QUEUE`, default 100,000. */
    readonly maxQueuedAuditEntries: number;
  };
  /** Conversations (`thread_id`): how much of a thread a new run starts from. */
  readonly threads: {
    /** The thread's latest completed runs a run starts from, at most. `AGENT_THREAD_HISTORY_RUNS`, default 20. */
    readonly historyRuns: number;
    /** Characters of earlier turns (inputs, tool calls and results, answers) a run starts from, at most; older turns are left out whole. `AGENT_THREAD_HISTORY_CHARS`, default 24,000. */
    readonly historyChars: number;
  };
  /** Who may call (see README, "Authentication"); neither set: every caller is the local `dev` principal, on loopback only. */
  readonly auth: {
    /** JSON file of API key digests, reread on SIGHUP. `AGENT_API_KEYS_FILE`, default none. */
    readonly apiKeysFile: string | undefined;
    /** JWT bearer tokens, when `AGENT_JWT_JWKS_URL` or `AGENT_JWT_PUBLIC_KEY` is set. */
    readonly jwt: JwtSettings | undefined;
  };
  /** Limits and budgets per principal (see README, "Limits and budgets"). */
  readonly limits: {
    readonly policy: LimitsPolicy;
    /** Shared by replicas when set. `REDIS_URL`; otherwise each replica counts in memory. */
    readonly redisUrl: string | undefined;
    /** Output tokens reserved for each model call, on top of its input, against a token budget. `AGENT_BUDGET_TURN_RESERVE_TOKENS`, default 1,024. */
    readonly turnReserveTokens: number;
  };
  /** Redaction of what leaves the service; undefined when `AGENT_REDACTION=off`. */
  readonly redaction: { readonly kinds: readonly RedactionKind[]; readonly customPatterns: readonly { readonly name: string; readonly pattern: string }[] } | undefined;
  /** Prompt-injection screening of inputs and tool results; undefined when `AGENT_INJECTION_SCREEN=off`. */
  readonly injectionScreen: { readonly threshold: number } | undefined;
  /** Versioned prompts (see README, "Prompts"). */
  readonly prompts: {
    /** Prompts to register and activate at start-up, JSON or YAML. `AGENT_PROMPTS_FILE`, default none. */
    readonly file: string | undefined;
    /** The prompt a run uses when its request names none. `AGENT_DEFAULT_PROMPT`, default `default`. */
    readonly defaultPrompt: string;
    /** How often each replica looks for activations made elsewhere. `AGENT_PROMPT_REFRESH_MS`, default 1,000. */
    readonly refreshMs: number;
    /** How often each replica checks the running canaries. `AGENT_CANARY_CHECK_MS`, default 5,000. */
    readonly canaryCheckMs: number;
  };
  /**
   * The secret settings given as `NAME_FILE` (see {@link secretSettings}, and
   * the models' `apiKeyEnv`), each with its file's path: the files SIGHUP rereads.
   */
  readonly secretFiles: Readonly<Record<string, string>>;
  /** pino log level. `LOG_LEVEL`, default `info`. */
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Faults the built-in simulator injects, as a JSON array (see README). `SIMULATOR_FAULTS`, default none. */
  readonly simulatorFaults: readonly FaultRule[];
}

/** Models the built-in simulator serves; the defaults when no provider is set. */
export const simulatorModels = ["sim-small", "sim-large"] as const;

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const boolean = z
  .enum(["true", "false", "1", "0"], { error: 'must be "true" or "false"' })
  .transform((v) => v === "true" || v === "1");

const httpUrl = (example: string) => z.url({ protocol: /^https?$/, error: `must be an http(s) URL ${example}` });
const otlpProtocol = z.enum(otlpProtocols, { error: 'must be "http/protobuf", "http/json" or "grpc"' });

/**
 * The URL of a server the service connects to. The URL parser rejects a port
 * above 65535 and a missing host, which the clients (Redis, PostgreSQL) would
 * otherwise throw on, uncaught, at start-up.
 */
const serverUrl = (scheme: RegExp, what: string, example: string) =>
  z
    .string()
    .regex(scheme, `must be ${what} such as ${example}`)
    .refine(
      (url) => URL.canParse(url) && new URL(url).hostname !== "",
      `must be a valid URL with a host and a port from 1 to 65535, such as ${example}`,
    );

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const environmentSchema = z.object({
  HOST: z.string().trim().min(1, "must not be empty").default("127.0.0.1"),
  PORT: integer(0, 65535).default(8080),
  OPENAI_BASE_URL: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://api.openai.com/v1" })
      .optional(),
  ),
  OPENAI_API_KEY: optionalText,
  AGENT_MODELS: optionalText.pipe(
    z
      .string()
      .transform((v) => v.split(",").map((m) => m.trim()))
      .refine((ms) => ms.every((m) => m !== ""), "must be a comma-separated list of model names, primary first")
      .refine((ms) => new Set(ms).size === ms.length, "must not name a model twice")
      .optional(),
  ),
  AGENT_MODELS_FILE: optionalText,
  AGENT_MODEL_TIMEOUT_MS: integer(100, 600_000).default(30_000),
  AGENT_MODEL_TOTAL_TIMEOUT_MS: integer(100, 3_600_000).default(60_000),
  AGENT_MODEL_MAX_RETRIES: integer(0, 10).default(2),
  AGENT_RETRY_INITIAL_BACKOFF_MS: integer(1, 600_000).default(250),
  AGENT_RETRY_MAX_BACKOFF_MS: integer(1, 600_000).default(10_000),
  AGENT_RETRY_AFTER_CAP_MS: integer(0, 3_600_000).default(20_000),
  AGENT_BREAKER_THRESHOLD: integer(1, 1_000).default(5),
  AGENT_BREAKER_HALF_OPEN_AFTER_MS: integer(1, 3_600_000).default(30_000),
  AGENT_BREAKER_ERROR_RATE: optionalText.pipe(
    z
      .string()
      .regex(/^0?\.\d+$/, "must be a share between 0 and 1, such as 0.5")
      .transform(Number)
      .pipe(z.number().gt(0, "must be above 0").lt(1, "must be below 1"))
      .optional(),
  ),
  AGENT_BREAKER_SAMPLING_MS: integer(1_000, 3_600_000).default(30_000),
  AGENT_BREAKER_MINIMUM_RPS: optionalText.pipe(
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, "must be a positive number of calls per second")
      .transform(Number)
      .pipe(z.number().gt(0, "must be above 0"))
      .optional(),
  ),
  AGENT_MAX_ITERATIONS: integer(1, 1_000).default(8),
  AGENT_MAX_ITERATIONS_CAP: integer(1, 1_000).default(25),
  AGENT_MAX_EXECUTION_TIME_MS: integer(100, 3_600_000).default(60_000),
  AGENT_MAX_EXECUTION_TIME_CAP_MS: integer(100, 3_600_000).default(300_000),
  AGENT_MAX_INPUT_CHARS: integer(1, 1_000_000).default(32_768),
  AGENT_TOOL_TIMEOUT_MS: integer(1, 600_000).default(10_000),
  AGENT_MCP_SERVERS_FILE: optionalText,
  AGENT_MAX_CONCURRENT_RUNS: integer(1, 100_000).default(64),
  AGENT_MAX_QUEUED_RUNS: integer(0, 1_000_000).default(128),
  AGENT_CACHE: z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on"),
  AGENT_CACHE_MAX_ENTRIES: integer(1, 10_000_000).default(1_000),
  AGENT_CACHE_MAX_BYTES: integer(1_024, 64 * 1024 ** 3).default(50 * 1024 ** 2),
  AGENT_CACHE_TTL_MS: integer(1_000, 30 * 24 * 3_600_000).default(600_000),
  REDIS_URL: optionalText.pipe(serverUrl(/^rediss?:\/\//, "a redis:// or rediss:// URL", "redis://127.0.0.1:6379/0").optional()),
  AGENT_CACHE_REDIS_TIMEOUT_MS: integer(1, 60_000).default(50),
  OTEL_SDK_DISABLED: boolean.default(false),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default("agent-service"),
  OTEL_TRACES_EXPORTER: z.enum(["otlp", "none"], { error: 'must be "otlp" or "none"' }).default("otlp"),
  OTEL_METRICS_EXPORTER: z.enum(["otlp", "none"], { error: 'must be "otlp" or "none"' }).default("otlp"),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.default("http/protobuf"),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optionalText.pipe(otlpProtocol.optional()),
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: optionalText.pipe(otlpProtocol.optional()),
  // Read by the OpenTelemetry SDK itself; checked here so that a typo stops the start, not sampling.
  OTEL_TRACES_SAMPLER: optionalText.pipe(
    z
      .enum(["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"], {
        error: "must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio",
      })
      .optional(),
  ),
  OTEL_TRACES_SAMPLER_ARG: optionalText.pipe(
    z
      .string()
      .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, "must be a ratio from 0 to 1, such as 0.25")
      .optional(),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.pipe(httpUrl("such as http://127.0.0.1:4318").optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalText.pipe(httpUrl("such as http://127.0.0.1:4318/v1/traces").optional()),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: optionalText.pipe(httpUrl("such as http://127.0.0.1:4318/v1/metrics").optional()),
  OTEL_EXPORTER_OTLP_HEADERS: optionalText.pipe(
    z
      .string()
      .regex(/^[^=,]+=[^,]*(,[^=,]+=[^,]*)*$/, "must be key=value pairs separated by commas")
      .transform((text) =>
        Object.fromEntries(
          text.split(",").map((pair) => {
            const at = pair.indexOf("=");
            return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
          }),
        ),
      )
      .transform((headers, ctx) => {
        try {
          return Object.fromEntries(
            Object.entries(headers).map(([key, value]) => [decodeURIComponent(key), decodeURIComponent(value)]),
          );
        } catch {
          ctx.addIssue({ code: "custom", message: "must percent-encode special characters correctly (such as %20)" });
          return z.NEVER;
        }
      })
      .optional(),
  ),
  OTEL_METRIC_EXPORT_INTERVAL: integer(1_000, 3_600_000).default(60_000),
  OTEL_BSP_SCHEDULE_DELAY: integer(1, 3_600_000).default(5_000),
  METRICS_HOST: optionalText,
  METRICS_PORT: optionalText.pipe(
    z
      .union([z.literal("off"), integer(0, 65535)], { error: 'must be a port number, or "off"' })
      .optional(),
  ),
  METRICS_PATH: z.string().regex(/^\/[\w./-]*$/, "must be a path such as /metrics").default("/metrics"),
  AGENT_TRACE_CONTENT: boolean.default(false),
  AGENT_TRACE_FILE: optionalText,
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(10_000),
  HTTP_PREFACE_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  HTTP_HEADERS_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  HTTP_IDLE_TIMEOUT_MS: integer(100, 3_600_000).default(65_000),
  HTTP_STALLED_READER_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  HTTP_MAX_REQUEST_BYTES: integer(1_024, 64 * 1024 ** 2).optional(),
  HTTP_MAX_JSON_DEPTH: integer(4, 10_000).default(32),
  HTTP_MAX_HEADER_BYTES: integer(1_024, 1024 ** 2).default(16_384),
  HTTP_COMPRESS_MIN_BYTES: integer(0, 1024 ** 3).default(64 * 1024),
  AGENT_CORS_ORIGINS: z
    .string()
    .default("")
    .transform((text, ctx) => {
      const origins = text.split(",").map((origin) => origin.trim()).filter((origin) => origin !== "");
      for (const origin of origins) {
        const problem = originProblem(origin);
        if (problem !== undefined) {
          ctx.addIssue({ code: "custom", message: problem });
        }
      }
      return origins;
    }),
  AGENT_UI: z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on"),
  AGENT_UI_DIR: optionalText,
  AGENT_UI_JAEGER_URL: optionalText.pipe(httpUrl("of the Jaeger UI, such as http://localhost:16686").optional()),
  DATABASE_URL: optionalText.pipe(
    serverUrl(/^postgres(ql)?:\/\//, "a postgres:// or postgresql:// URL", "postgres://agent@127.0.0.1:5432/agent").optional(),
  ),
  AGENT_DATA_DIR: z.string().trim().min(1, "must not be empty").default("./.data"),
  AGENT_DATA_TEMPLATE: optionalText,
  AGENT_DB_POOL_SIZE: integer(1, 1_000).default(10),
  AGENT_RUN_RETENTION_DAYS: integer(0, 36_500).default(30),
  AGENT_RUN_RECORD_QUEUE: integer(100, 10_000_000).default(100_000),
  AGENT_RUN_RECORD_BATCH_MS: integer(1, 10_000).default(100),
  AGENT_RUN_RECORD_FLUSH_TIMEOUT_MS: integer(0, 600_000).default(5_000),
  AGENT_IDEMPOTENCY_TTL_HOURS: integer(1, 24 * 365).default(24),
  AGENT_AUDIT_QUEUE: integer(100, 10_000_000).default(100_000),
  AGENT_THREAD_HISTORY_RUNS: integer(1, 1_000).default(20),
  AGENT_THREAD_HISTORY_CHARS: integer(1_000, 10_000_000).default(24_000),
  AGENT_API_KEYS_FILE: optionalText,
  AGENT_REDACTION: z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on"),
  AGENT_REDACTION_KINDS: z
    .string()
    .default(redactionKinds.join(","))
    .transform((text) => text.split(",").map((k) => k.trim()).filter((k) => k !== ""))
    .pipe(z.array(z.enum(redactionKinds, { error: `must list kinds from ${redactionKinds.join(", ")}` }))),
  AGENT_REDACTION_PATTERNS: optionalText.pipe(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: 'must be a JSON array such as [{"name": "ticket", "pattern": "TCK-[0-9]{6}"}]' });
          return z.NEVER;
        }
      })
      .pipe(z.array(z.strictObject({ name: z.string().min(1), pattern: z.string().min(1) })))
      .optional(),
  ),
  AGENT_INJECTION_SCREEN: z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on"),
  AGENT_INJECTION_THRESHOLD: z.coerce.number({ error: "must be a positive number, such as 10" }).positive({ error: "must be a positive number, such as 10" }).default(10),
  AGENT_MAX_RUN_COST_USD: z.coerce.number({ error: "must be a number of US dollars, such as 0.5" }).min(0).default(0),
  AGENT_RATE_LIMIT_REQUESTS_PER_MINUTE: integer(0, 100_000_000).default(6_000),
  AGENT_RATE_LIMIT_CONCURRENT_RUNS: integer(0, 1_000_000).default(64),
  AGENT_BUDGET_TOKENS_PER_DAY: integer(0, 1_000_000_000_000).default(0),
  AGENT_BUDGET_COST_USD_PER_DAY: z.coerce.number({ error: "must be a number of US dollars, such as 25" }).min(0).default(0),
  AGENT_BUDGET_TURN_RESERVE_TOKENS: integer(1, 10_000_000).default(1_024),
  AGENT_LIMITS_FILE: optionalText,
  AGENT_PROMPTS_FILE: optionalText,
  AGENT_DEFAULT_PROMPT: z
    .string()
    .trim()
    .regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, "must be a prompt name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter")
    .default("default"),
  AGENT_PROMPT_REFRESH_MS: integer(50, 3_600_000).default(1_000),
  AGENT_CANARY_CHECK_MS: integer(50, 3_600_000).default(5_000),
  AGENT_JWT_JWKS_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL of a JWKS document" }).optional()),
  AGENT_JWT_PUBLIC_KEY: optionalText,
  AGENT_JWT_ISSUER: optionalText,
  AGENT_JWT_AUDIENCE: optionalText,
  AGENT_JWT_ALGORITHMS: z
    .string()
    .default("RS256,ES256")
    .transform((text) => text.split(",").map((a) => a.trim()).filter((a) => a !== ""))
    .pipe(
      z
        .array(z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"], { error: "must list JWS algorithms such as RS256,ES256 (never none or HS*)" }))
        .min(1, "must name at least one algorithm"),
    ),
  AGENT_JWT_PRINCIPAL_CLAIM: z.string().trim().min(1).default("sub"),
  AGENT_JWT_ROLES_CLAIM: z.string().trim().min(1).default("roles"),
  AGENT_JWT_DEFAULT_ROLES: z
    .string()
    .default("caller")
    .transform((text) => text.split(",").map((r) => r.trim()).filter((r) => r !== ""))
    .pipe(z.array(z.enum(["caller", "admin"], { error: "must list roles from caller, admin" }))),
  AGENT_JWT_CLOCK_SKEW_S: integer(0, 3_600).default(30),
  AGENT_JWT_JWKS_TIMEOUT_MS: integer(100, 60_000).default(5_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SIMULATOR_FAULTS: optionalText.pipe(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: 'must be a JSON array of fault rules, such as [{"kind":"status","status":503}]' });
          return z.NEVER;
        }
      })
      .pipe(faultRulesSchema)
      .optional(),
  ),
});

/** A configuration value that cannot be used; the message names the variable and what is allowed. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** True when `err` is a {@link ConfigError}. */
export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}

/**
 * Parses the configuration from environment variables. Empty values count as
 * unset. Throws a {@link ConfigError} listing every bad variable at once.
 */
export function loadConfig(processEnv: Readonly<Record<string, string | undefined>> = process.env): Config {
  // Secrets given as NAME_FILE become NAME, read from their files.
  const secrets = withSecretFiles(processEnv, secretSettings);
  const env = secrets.env;
  // An empty or blank value counts as unset, so `PORT=` falls back to the default.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""));
  const parsed = environmentSchema.safeParse(set);
  if (!parsed.success || secrets.problems.length > 0) {
    throw new ConfigError([
      ...secrets.problems,
      ...(parsed.error?.issues ?? []).map((issue) => {
        const name = String(issue.path[0]);
        return `${issue.path.join(".")}: ${issue.message}${mayEcho(name) ? ` (got ${JSON.stringify(env[name])})` : ""}`;
      }),
    ]);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const jwt = jwtSettingsOf(e, problems);
  if (e.AGENT_API_KEYS_FILE === undefined && jwt === undefined && !isLoopback(e.HOST)) {
    problems.push(
      `HOST: ${e.HOST} listens beyond this machine, but no authentication is configured: set AGENT_API_KEYS_FILE ` +
        "(a JSON file of API key digests) or AGENT_JWT_JWKS_URL / AGENT_JWT_PUBLIC_KEY with AGENT_JWT_ISSUER and AGENT_JWT_AUDIENCE " +
        '(see the README, "Authentication"), or listen on 127.0.0.1',
    );
  }
  if (e.AGENT_MAX_ITERATIONS > e.AGENT_MAX_ITERATIONS_CAP) {
    problems.push(`AGENT_MAX_ITERATIONS: must not exceed AGENT_MAX_ITERATIONS_CAP (${e.AGENT_MAX_ITERATIONS_CAP})`);
  }
  if (e.AGENT_MAX_EXECUTION_TIME_MS > e.AGENT_MAX_EXECUTION_TIME_CAP_MS) {
    problems.push(
      `AGENT_MAX_EXECUTION_TIME_MS: must not exceed AGENT_MAX_EXECUTION_TIME_CAP_MS (${e.AGENT_MAX_EXECUTION_TIME_CAP_MS})`,
    );
  }
  // Room for the longest input, even if every character is sent as a six-byte JSON escape, and the other fields.
  const maxRequestBytes = e.HTTP_MAX_REQUEST_BYTES ?? 6 * e.AGENT_MAX_INPUT_CHARS + 64 * 1024;
  // A model stream held back by a stalled reader still runs down the model's
  // total time: the reader must be cut first, or the model is given up on.
  if (e.HTTP_STALLED_READER_TIMEOUT_MS >= e.AGENT_MODEL_TOTAL_TIMEOUT_MS) {
    problems.push(
      `HTTP_STALLED_READER_TIMEOUT_MS: must be below AGENT_MODEL_TOTAL_TIMEOUT_MS (${e.AGENT_MODEL_TOTAL_TIMEOUT_MS})`,
    );
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push(`HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS})`);
  }
  if (e.OPENAI_BASE_URL !== undefined && e.AGENT_MODELS === undefined && e.AGENT_MODELS_FILE === undefined) {
    problems.push("AGENT_MODELS: must be set when OPENAI_BASE_URL is set (for example gpt-4o-mini,gpt-4o)");
  }
  if (e.AGENT_MODELS !== undefined && e.AGENT_MODELS_FILE !== undefined) {
    problems.push("AGENT_MODELS: must not be set together with AGENT_MODELS_FILE, which lists the models itself");
  }
  const policy: ResolvedModelPolicyOptions = {
    attemptTimeoutMs: e.AGENT_MODEL_TIMEOUT_MS,
    totalTimeoutMs: e.AGENT_MODEL_TOTAL_TIMEOUT_MS,
    maxRetries: e.AGENT_MODEL_MAX_RETRIES,
    initialBackoffMs: e.AGENT_RETRY_INITIAL_BACKOFF_MS,
    maxBackoffMs: e.AGENT_RETRY_MAX_BACKOFF_MS,
    retryAfterCapMs: e.AGENT_RETRY_AFTER_CAP_MS,
    breakerThreshold: e.AGENT_BREAKER_THRESHOLD,
    breakerHalfOpenAfterMs: e.AGENT_BREAKER_HALF_OPEN_AFTER_MS,
    breakerErrorRate: e.AGENT_BREAKER_ERROR_RATE,
    breakerSamplingMs: e.AGENT_BREAKER_SAMPLING_MS,
    breakerMinimumRps: e.AGENT_BREAKER_MINIMUM_RPS,
  };
  const secretFiles = secretFilesOf(processEnv, secretSettings);
  let models: ModelSettings[] = (e.AGENT_MODELS ?? simulatorModels).map((name) => ({
    name,
    baseUrl: undefined,
    apiKey: undefined,
    apiKeyEnv: undefined,
    temperature: 0,
    cacheAnyTemperature: false,
    // Without OPENAI_BASE_URL these are the built-in simulator's models, which have it.
    structuredOutput: e.OPENAI_BASE_URL === undefined,
    policy,
    price: undefined,
  }));
  if (e.AGENT_MODELS_FILE !== undefined) {
    try {
      models = readModelsFile(e.AGENT_MODELS_FILE).map((entry) => {
        const { name, baseUrl, apiKey, apiKeyEnv, temperature, cacheAnyTemperature, structuredOutput, price, ...knobs } = entry;
        // A secret setting (OPENAI_API_KEY, say) was read from its file above already.
        const keyFromEnv =
          apiKeyEnv === undefined || isSecretSettingName(apiKeyEnv) ? undefined : withSecretFiles(env, [apiKeyEnv]);
        problems.push(...(keyFromEnv?.problems ?? []));
        const key = apiKeyEnv === undefined ? undefined : (keyFromEnv?.env ?? env)[apiKeyEnv];
        if (apiKeyEnv !== undefined && (key === undefined || key === "")) {
          problems.push(`AGENT_MODELS_FILE: model ${name} reads its key from ${apiKeyEnv}, which is not set`);
        }
        if (apiKey === undefined && apiKeyEnv !== undefined) {
          Object.assign(secretFiles, secretFilesOf(processEnv, [apiKeyEnv]));
        }
        return {
          name,
          baseUrl,
          apiKey: apiKey ?? key,
          apiKeyEnv: apiKey === undefined ? apiKeyEnv : undefined,
          temperature: temperature ?? 0,
          cacheAnyTemperature: cacheAnyTemperature ?? false,
          structuredOutput: structuredOutput ?? (baseUrl === undefined && e.OPENAI_BASE_URL === undefined),
          policy: { ...policy, ...knobs },
          price,
        };
      });
    } catch (err) {
      problems.push(`AGENT_MODELS_FILE: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let mcpServers: readonly McpServerSettings[] = [];
  if (e.AGENT_MCP_SERVERS_FILE !== undefined) {
    try {
      const file = readMcpServersFile(e.AGENT_MCP_SERVERS_FILE, processEnv);
      mcpServers = file.servers;
      // Their `{"env": NAME}` values given as NAME_FILE are reread on SIGHUP, like the other secrets.
      Object.assign(secretFiles, secretFilesOf(processEnv, file.secretNames));
    } catch (err) {
      problems.push(`AGENT_MCP_SERVERS_FILE: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let limitsPolicy: LimitsPolicy | undefined;
  try {
    limitsPolicy = limitsPolicyOf(
      {
        requests_per_minute: e.AGENT_RATE_LIMIT_REQUESTS_PER_MINUTE,
        concurrent_runs: e.AGENT_RATE_LIMIT_CONCURRENT_RUNS,
        tokens_per_day: e.AGENT_BUDGET_TOKENS_PER_DAY,
        cost_usd_per_day: e.AGENT_BUDGET_COST_USD_PER_DAY,
      },
      e.AGENT_LIMITS_FILE,
    );
  } catch (err) {
    problems.push(`AGENT_LIMITS_FILE: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (problems.length > 0 || limitsPolicy === undefined) {
    throw new ConfigError(problems);
  }
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    openaiApiKey: e.OPENAI_API_KEY,
    models: Object.freeze(models.map((m) => Object.freeze(m))),
    maxIterations: e.AGENT_MAX_ITERATIONS,
    maxIterationsCap: e.AGENT_MAX_ITERATIONS_CAP,
    maxExecutionTimeMs: e.AGENT_MAX_EXECUTION_TIME_MS,
    maxExecutionTimeCapMs: e.AGENT_MAX_EXECUTION_TIME_CAP_MS,
    maxInputChars: e.AGENT_MAX_INPUT_CHARS,
    maxRunCostUsd: e.AGENT_MAX_RUN_COST_USD,
    telemetry: Object.freeze({
      sdkDisabled: e.OTEL_SDK_DISABLED,
      serviceName: e.OTEL_SERVICE_NAME,
      otlpTracesProtocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL,
      otlpMetricsProtocol: e.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL,
      otlpTracesUrl:
        e.OTEL_SDK_DISABLED || e.OTEL_TRACES_EXPORTER === "none"
          ? undefined
          : (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? signalUrl(e.OTEL_EXPORTER_OTLP_ENDPOINT, "traces")),
      otlpMetricsUrl:
        e.OTEL_SDK_DISABLED || e.OTEL_METRICS_EXPORTER === "none"
          ? undefined
          : (e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ?? signalUrl(e.OTEL_EXPORTER_OTLP_ENDPOINT, "metrics")),
      otlpHeaders: Object.freeze({ ...e.OTEL_EXPORTER_OTLP_HEADERS }),
      metricExportIntervalMs: e.OTEL_METRIC_EXPORT_INTERVAL,
      spanExportDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
      prometheus:
        e.METRICS_PORT === "off"
          ? undefined
          : Object.freeze({ host: e.METRICS_HOST ?? e.HOST, port: e.METRICS_PORT ?? 9464, path: e.METRICS_PATH }),
      recordContent: e.AGENT_TRACE_CONTENT,
      spanFile: e.AGENT_TRACE_FILE,
    }),
    store: Object.freeze({
      databaseUrl: e.DATABASE_URL,
      dataDir: e.AGENT_DATA_DIR,
      dataTemplate: e.AGENT_DATA_TEMPLATE,
      poolSize: e.AGENT_DB_POOL_SIZE,
      retentionDays: e.AGENT_RUN_RETENTION_DAYS,
      maxQueuedRecords: e.AGENT_RUN_RECORD_QUEUE,
      batchMs: e.AGENT_RUN_RECORD_BATCH_MS,
      flushTimeoutMs: e.AGENT_RUN_RECORD_FLUSH_TIMEOUT_MS,
      idempotencyTtlHours: e.AGENT_IDEMPOTENCY_TTL_HOURS,
      maxQueuedAuditEntries: e.AGENT_AUDIT_QUEUE,
    }),
    threads: Object.freeze({ historyRuns: e.AGENT_THREAD_HISTORY_RUNS, historyChars: e.AGENT_THREAD_HISTORY_CHARS }),
    toolTimeoutMs: e.AGENT_TOOL_TIMEOUT_MS,
    mcpServers: Object.freeze(mcpServers),
    maxConcurrentRuns: e.AGENT_MAX_CONCURRENT_RUNS,
    maxQueuedRuns: e.AGENT_MAX_QUEUED_RUNS,
    cache:
      e.AGENT_CACHE === "off"
        ? undefined
        : Object.freeze({
            maxEntries: e.AGENT_CACHE_MAX_ENTRIES,
            maxBytes: e.AGENT_CACHE_MAX_BYTES,
            ttlMs: e.AGENT_CACHE_TTL_MS,
            redisUrl: e.REDIS_URL,
            redisTimeoutMs: e.AGENT_CACHE_REDIS_TIMEOUT_MS,
          }),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    http: Object.freeze({
      prefaceTimeoutMs: e.HTTP_PREFACE_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
      stalledReaderTimeoutMs: e.HTTP_STALLED_READER_TIMEOUT_MS,
      maxRequestBytes,
      maxJsonDepth: e.HTTP_MAX_JSON_DEPTH,
      maxHeaderBytes: e.HTTP_MAX_HEADER_BYTES,
      compressMinBytes: e.HTTP_COMPRESS_MIN_BYTES,
    }),
    ui:
      e.AGENT_UI === "off"
        ? undefined
        : Object.freeze({ dir: e.AGENT_UI_DIR, jaegerUrl: e.AGENT_UI_JAEGER_URL?.replace(/\/+$/, "") }),
    cors: Object.freeze({ allowedOrigins: Object.freeze([...new Set(e.AGENT_CORS_ORIGINS)]) }),
    auth: Object.freeze({ apiKeysFile: e.AGENT_API_KEYS_FILE, jwt }),
    redaction:
      e.AGENT_REDACTION === "off"
        ? undefined
        : Object.freeze({
            // Custom patterns are redacted whenever there are some.
            kinds: Object.freeze([...new Set([...e.AGENT_REDACTION_KINDS, ...(e.AGENT_REDACTION_PATTERNS === undefined ? [] : (["custom"] as const))])]),
            customPatterns: Object.freeze(e.AGENT_REDACTION_PATTERNS ?? []),
          }),
    injectionScreen: e.AGENT_INJECTION_SCREEN === "off" ? undefined : Object.freeze({ threshold: e.AGENT_INJECTION_THRESHOLD }),
    prompts: Object.freeze({ file: e.AGENT_PROMPTS_FILE, defaultPrompt: e.AGENT_DEFAULT_PROMPT, refreshMs: e.AGENT_PROMPT_REFRESH_MS, canaryCheckMs: e.AGENT_CANARY_CHECK_MS }),
    limits: Object.freeze({ policy: limitsPolicy, redisUrl: e.REDIS_URL, turnReserveTokens: e.AGENT_BUDGET_TURN_RESERVE_TOKENS }),
    secretFiles: Object.freeze(secretFiles),
    logLevel: e.LOG_LEVEL,
    simulatorFaults: Object.freeze(e.SIMULATOR_FAULTS ?? []),
  });
}

/** The paths of the settings among `names` given as `NAME_FILE`, by name. */
function secretFilesOf(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => {
      const file = env[`${name}_FILE`]?.trim();
      return file === undefined || file === "" ? [] : [[name, file]];
    }),
  );
}

function isSecretSettingName(name: string): name is SecretSettingName {
  return (secretSettings as readonly string[]).includes(name);
}

/** What each secret setting holds once parsed. */
type SecretSettingValues = { [N in SecretSettingName]: NonNullable<z.output<(typeof environmentSchema.shape)[N]>> };

/**
 * Parses the content of a secret setting's file reread while the service
 * runs (SIGHUP), with the schema that parsed the setting at start-up; a name
 * that is not one of {@link secretSettings} is a model's key (`apiKeyEnv`).
 * Throws a {@link ConfigError} naming the setting, never repeating the value,
 * for a value that is not allowed or is empty: a secret rotated to nothing
 * is a mistake, not a way to unset it.
 */
export function parseSecretSetting<N extends SecretSettingName>(name: N, text: string): SecretSettingValues[N];
export function parseSecretSetting(name: string, text: string): string;
export function parseSecretSetting(name: string, text: string): unknown {
  const schema = isSecretSettingName(name) ? environmentSchema.shape[name] : optionalText;
  const parsed = schema.safeParse(text);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${name}: ${issue.message}`));
  }
  if (parsed.data === undefined) {
    throw new ConfigError([`${name}: is empty`]);
  }
  return parsed.data;
}

/** JWT settings when a key source is set; problems for settings that do not fit together. */
function jwtSettingsOf(e: z.infer<typeof environmentSchema>, problems: string[]): JwtSettings | undefined {
  const keySource = e.AGENT_JWT_JWKS_URL ?? e.AGENT_JWT_PUBLIC_KEY;
  if (keySource === undefined) {
    for (const name of ["AGENT_JWT_ISSUER", "AGENT_JWT_AUDIENCE"] as const) {
      if (e[name] !== undefined) {
        problems.push(`${name}: is set, but neither AGENT_JWT_JWKS_URL nor AGENT_JWT_PUBLIC_KEY says where the signing keys are`);
      }
    }
    return undefined;
  }
  if (e.AGENT_JWT_JWKS_URL !== undefined && e.AGENT_JWT_PUBLIC_KEY !== undefined) {
    problems.push("AGENT_JWT_PUBLIC_KEY: must not be set together with AGENT_JWT_JWKS_URL; set one of them");
  }
  if (e.AGENT_JWT_ISSUER === undefined) {
    problems.push("AGENT_JWT_ISSUER: must name the issuer (the iss claim) every token must carry");
  }
  if (e.AGENT_JWT_AUDIENCE === undefined) {
    problems.push("AGENT_JWT_AUDIENCE: must name the audience (the aud claim) every token must carry, such as agent-service");
  }
  return Object.freeze({
    jwksUrl: e.AGENT_JWT_JWKS_URL,
    publicKey: e.AGENT_JWT_PUBLIC_KEY,
    algorithms: Object.freeze([...e.AGENT_JWT_ALGORITHMS]),
    issuer: e.AGENT_JWT_ISSUER ?? "",
    audience: e.AGENT_JWT_AUDIENCE ?? "",
    principalClaim: e.AGENT_JWT_PRINCIPAL_CLAIM,
    rolesClaim: e.AGENT_JWT_ROLES_CLAIM,
    defaultRoles: Object.freeze([...e.AGENT_JWT_DEFAULT_ROLES] as Role[]),
    clockSkewS: e.AGENT_JWT_CLOCK_SKEW_S,
    jwksTimeoutMs: e.AGENT_JWT_JWKS_TIMEOUT_MS,
  });
}

/** True for an interface only this machine can reach. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The OTLP/HTTP URL of one signal under a base endpoint, as the OpenTelemetry spec builds it. */
function signalUrl(base: string | undefined, signal: "traces" | "metrics"): string | undefined {
  return base === undefined ? undefined : `${base.replace(/\/+$/, "")}/v1/${signal}`;
}

/**
 * Whether a bad value may be repeated in the error. Values of variables that
 * can hold credentials (keys, headers, and URLs, which may carry a password)
 * never are: start-up errors end up in log collectors too.
 */
function mayEcho(name: string): boolean {
  return !/KEY|SECRET|TOKEN|PASSWORD|HEADERS|URL|ENDPOINT/i.test(name);
}
