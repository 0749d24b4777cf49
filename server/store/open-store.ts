import type { Logger } from "pino";
import { secretReader, type SecretSource } from "../secret-source.js";
import type { AuditStore } from "./audit-store.js";
import type { ExperimentStore } from "./experiment-store.js";
import type { PromptStore } from "./prompt-store.js";
import { isDataDirInUseError } from "./data-dir-lock.js";
import { applyMigrations } from "./migrations.js";
import type { RunStore } from "./run-store.js";
import { createSqlAuditStore } from "./sql-audit-store.js";
import { createSqlExperimentStore } from "./sql-experiment-store.js";
import { createSqlPromptStore } from "./sql-prompt-store.js";
import { createPgliteDatabase, createPgliteTemplate, createPostgresDatabase, type SqlDatabase } from "./sql-database.js";
import { createSqlRunStore } from "./sql-run-store.js";

/** The service's durable store: its runs and their events, its audit log and its prompts, in one database. */
export type ServiceStore = RunStore & AuditStore & PromptStore & ExperimentStore;

/** Options for {@link openStore}. */
export interface StoreOptions {
  /**
   * PostgreSQL to use, `postgres://user:password@host:port/database`. Default:
   * none (an empty string is none), PGlite in {@link dataDir}. A function is
   * read for each new connection (see `PostgresDatabaseOptions.url`).
   */
  readonly databaseUrl?: SecretSource;
  /** PGlite's directory when there is no {@link databaseUrl}, created if missing; `memory://` keeps it in memory. */
  readonly dataDir: string;
  /** PostgreSQL only: most connections open at once. Default 10. */
  readonly poolSize?: number;
  /** PostgreSQL only: longest wait to connect, in milliseconds. Default 5,000. */
  readonly connectTimeoutMs?: number;
  /** PostgreSQL only: longest a statement may run, in milliseconds. Default 10,000. */
  readonly statementTimeoutMs?: number;
  /** Where the database's own troubles are logged. Default: not logged. */
  readonly logger?: Logger;
  /** PGlite only: what a new database starts from instead of initdb (see {@link createStoreTemplate}). Default: none. */
  readonly pgliteTemplate?: Blob;
}

/**
 * A dump of an empty embedded store with the current schema, for
 * {@link StoreOptions.pgliteTemplate}: a process that opens many short-lived
 * in-memory stores (tests, tools) pays PGlite's initdb once.
 */
export function createStoreTemplate(): Promise<Blob> {
  return createPgliteTemplate(applyMigrations);
}

/**
 * Opens the store of runs and of the audit log: PostgreSQL when {@link StoreOptions.databaseUrl} is
 * set, embedded PGlite otherwise; brings its schema up to date; returns it.
 * PostgreSQL is first reached here, so an unreachable server, a wrong
 * password or a failed migration all reject with an Error "cannot open the
 * run store on <database>: <reason>", naming host, port and database (never
 * the password) and keeping the cause, after closing whatever was opened. A
 * PGlite directory held by another process rejects with its
 * `DataDirInUseError` as it is.
 */
export async function openStore(options: StoreOptions): Promise<ServiceStore> {
  const databaseUrl = secretReader(options.databaseUrl ?? "")();
  const usePostgres = databaseUrl !== "";
  const where = usePostgres ? describePostgres(databaseUrl) : `PGlite at ${options.dataDir}`;
  const secrets = usePostgres ? passwordForms(databaseUrl) : [];
  let db: SqlDatabase;
  try {
    db = usePostgres
      ? createPostgresDatabase({
          url: options.databaseUrl ?? databaseUrl,
          poolSize: options.poolSize,
          connectTimeoutMs: options.connectTimeoutMs,
          statementTimeoutMs: options.statementTimeoutMs,
          logger: options.logger,
        })
      : await createPgliteDatabase({
          dataDir: options.dataDir,
          ...(options.logger === undefined ? {} : { logger: options.logger }),
          ...(options.pgliteTemplate === undefined ? {} : { template: options.pgliteTemplate }),
        });
  } catch (err) {
    throw isDataDirInUseError(err) ? err : openFailure(where, err, secrets);
  }
  try {
    await applyMigrations(db);
  } catch (err) {
    await db.close().catch((closeErr: unknown) => options.logger?.warn({ err: closeErr }, "closing the run store failed"));
    throw openFailure(where, err, secrets);
  }
  return { ...createSqlRunStore(db), ...createSqlAuditStore(db), ...createSqlPromptStore(db), ...createSqlExperimentStore(db) };
}

function openFailure(where: string, cause: unknown, secrets: readonly string[]): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  // A driver's message could quote the URL it was given; the password never leaves this function.
  const safeReason = secrets.reduce((text, secret) => text.replaceAll(secret, "***"), reason);
  return new Error(`cannot open the run store on ${where}: ${safeReason}`, { cause });
}

/** "PostgreSQL at host:port/database", from the URL without its credentials. */
function describePostgres(url: string): string {
  const parsed = parseUrl(url);
  if (parsed === undefined) {
    return "PostgreSQL (its URL does not parse)";
  }
  // A socket directory may come as ?host=/path, the way libpq allows.
  const host = parsed.hostname !== "" ? parsed.hostname : (parsed.searchParams.get("host") ?? "localhost");
  const port = parsed.port !== "" ? parsed.port : "5432";
  const database = safeDecode(parsed.pathname.slice(1)) || safeDecode(parsed.username) || "postgres";
  return `PostgreSQL at ${host}:${port}/${database}`;
}

/** The password as written in the URL and decoded; none when it has none. */
function passwordForms(url: string): string[] {
  const password = parseUrl(url)?.password ?? "";
  return password === "" ? [] : [password, safeDecode(password)];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
