import type { Logger } from "pino";
import { parseSecretSetting, type Config } from "../config.js";
import { redisCredentialsOf } from "../redis-credentials.js";
import { createReloadableSecret, type ReloadableSecret } from "../reloadable-secret.js";
import type { SecretValue } from "../secret-source.js";

/** What {@link wireSecrets} needs. */
export interface SecretWiringOptions {
  readonly config: Pick<Config, "models" | "openaiApiKey" | "store" | "limits" | "telemetry" | "secretFiles">;
  readonly logger: Logger;
}

/**
 * The secret settings as the code that sends them reads them, at each use
 * (see `SecretSource`), and how to reread the ones given as files. The JWT
 * public key is authentication's own (see `wireAuth`).
 */
export interface SecretParts {
  /**
   * The API key a model's calls send, read at each call: the model's own
   * (`apiKey` or `apiKeyEnv` in the models file), else `OPENAI_API_KEY`, else
   * a placeholder, which the built-in simulator accepts.
   */
  providerKey(model: string): () => string;
  /** `DATABASE_URL`, read for each new connection; undefined when runs are recorded in PGlite. */
  readonly databaseUrl: (() => string) | undefined;
  /** `REDIS_URL`, read at each reconnection for its credentials; undefined without Redis. */
  readonly redisUrl: (() => string) | undefined;
  /** `OTEL_EXPORTER_OTLP_HEADERS`, read at each export. */
  readonly otlpHeaders: () => Readonly<Record<string, string>>;
  /**
   * A secret a configuration file names by its variable (an MCP server's `{"env": NAME}` header
   * or environment value), read at each use: `initial`, the value read at start-up, until SIGHUP
   * rereads `NAME_FILE` when it was given so.
   */
  secret(name: string, initial: string): () => string;
  /**
   * Rereads every file among them (SIGHUP), one after the other, each logged
   * on a line of its own by name (never by value); a file that cannot be
   * read or used leaves its old value in force.
   */
  reload(): Promise<void>;
}

/** What the provider SDK is given for a model without a key: it insists on one. */
const placeholderKey = "simulator";

/** Holds each secret setting: a reloadable one when given as a file, its start-up value otherwise. */
export function wireSecrets(options: SecretWiringOptions): SecretParts {
  const { config, logger } = options;
  const reloadable: ReloadableSecret<SecretValue>[] = [];

  function hold<T extends SecretValue>(name: string, initial: T, parse: (text: string) => T): () => T {
    const file = config.secretFiles[name];
    if (file === undefined) {
      return () => initial;
    }
    const secret = createReloadableSecret({ name, file, initial, parse, logger });
    reloadable.push(secret);
    return secret.current;
  }

  // One holder per setting, however many models read it.
  const keys = new Map<string, () => string>();
  const keyOf = (name: string, initial: string | undefined) => {
    const held = keys.get(name) ?? hold(name, initial ?? "", (text) => parseSecretSetting(name, text));
    keys.set(name, held);
    return held;
  };
  const sharedKey = keyOf("OPENAI_API_KEY", config.openaiApiKey);
  const providerKeys = new Map(
    config.models.map((model) => {
      const { apiKey, apiKeyEnv } = model;
      const key = apiKeyEnv !== undefined ? keyOf(apiKeyEnv, apiKey) : apiKey !== undefined ? () => apiKey : sharedKey;
      return [model.name, () => key() || placeholderKey] as const;
    }),
  );

  const databaseUrl = config.store.databaseUrl;
  const redisUrl = config.limits.redisUrl;
  return {
    providerKey: (model) => providerKeys.get(model) ?? (() => sharedKey() || placeholderKey),
    databaseUrl:
      databaseUrl === undefined
        ? undefined
        : hold("DATABASE_URL", databaseUrl, (text) => sameServer(databaseUrl, parseSecretSetting("DATABASE_URL", text))),
    redisUrl:
      redisUrl === undefined
        ? undefined
        : hold("REDIS_URL", redisUrl, (text) => {
            const url = sameServer(redisUrl, parseSecretSetting("REDIS_URL", text));
            // Decoded at each reconnection: a bad escape is refused now, not then.
            redisCredentialsOf(url);
            return url;
          }),
    otlpHeaders: hold("OTEL_EXPORTER_OTLP_HEADERS", config.telemetry.otlpHeaders, (text) => parseSecretSetting("OTEL_EXPORTER_OTLP_HEADERS", text)),
    secret: (name, initial) => keyOf(name, initial),
    async reload() {
      for (const secret of reloadable) {
        await secret.reread();
      }
    },
  };
}

/**
 * `after`, when it names the server and database `before` names: only the
 * user name and password of a database or Redis URL may change while the
 * service runs. Connections already open stay where they are, so a pool
 * that followed a new host would write to two servers at once.
 */
function sameServer(before: string, after: string): string {
  if (withoutCredentials(after) !== withoutCredentials(before)) {
    throw new Error("it names another server, database or option: only the user name and password can change while the service runs; restart it to move");
  }
  return after;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.href;
}
