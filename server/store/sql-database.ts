import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite, types as pgliteTypes } from "@electric-sql/pglite";
import { DatabaseError, Pool, type PoolClient } from "pg";
import type { Logger } from "pino";
import { secretReader, type SecretSource } from "../secret-source.js";
import { acquireDataDirLock } from "./data-dir-lock.js";
import { postgresClientClass } from "./postgres-client.js";

/** Runs statements; what a {@link SqlDatabase} and its transactions have in common. */
export interface SqlExecutor {
  /**
   * Runs one statement with parameters `$1…` and returns its rows. Values come
   * back as the driver parses them: `timestamptz` as `Date`, `bytea` as a
   * `Uint8Array`, arrays as arrays, `int4`/`float8` as numbers; `int8` may be
   * a string (pg) or a number (PGlite).
   */
  query<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script without parameters, possibly several statements separated by `;` (migrations). */
  exec(sql: string): Promise<void>;
}

/** A PostgreSQL database, on a server or embedded: the one surface the store's SQL runs through. */
export interface SqlDatabase extends SqlExecutor {
  readonly kind: "postgres" | "pglite";
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it rejects. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Closes the pool or the embedded database (and releases its directory). */
  close(): Promise<void>;
}

/** Options for {@link createPostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /**
   * `postgres://user:password@host:port/database`. A function is read for
   * each new connection, so a password reread on SIGHUP applies from the
   * next one on; the connections already open stay.
   */
  readonly url: SecretSource;
  /** Most connections open at once. Default 10. */
  readonly poolSize?: number;
  /** Longest wait to connect, or for a free connection of the pool, in milliseconds. Default 5,000. */
  readonly connectTimeoutMs?: number;
  /**
   * Longest a statement may run, in milliseconds: the server cancels it then.
   * The client also gives up a little later ({@link CLIENT_TIMEOUT_GRACE_MS})
   * when no answer came at all, as when the network went silent. Default 10,000.
   */
  readonly statementTimeoutMs?: number;
  /** Where errors of idle connections are logged. Default: not logged. */
  readonly logger?: Logger;
}

/**
 * How much longer than the statement timeout the client waits for an answer,
 * so that the server's cancellation, which leaves the connection usable,
 * normally arrives first; the client's own timeout is for a silent network.
 */
export const CLIENT_TIMEOUT_GRACE_MS = 1_000;

function resolvePostgresDatabaseOptions(options: PostgresDatabaseOptions) {
  return {
    url: options.url,
    poolSize: options.poolSize ?? 10,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    statementTimeoutMs: options.statementTimeoutMs ?? 10_000,
    logger: options.logger,
  };
}

/**
 * Creates a {@link SqlDatabase} over a `pg` pool. Nothing connects until the
 * first statement. An idle connection that breaks (the server restarted, the
 * network dropped) is logged and dropped from the pool, never an uncaught
 * `'error'` that would end the process; the next statement opens a new one.
 */
export function createPostgresDatabase(options: PostgresDatabaseOptions): SqlDatabase {
  const resolved = resolvePostgresDatabaseOptions(options);
  const pool = new Pool({
    // Each new connection reads the URL in force.
    Client: postgresClientClass(secretReader(resolved.url)),
    max: resolved.poolSize,
    connectionTimeoutMillis: resolved.connectTimeoutMs,
    statement_timeout: resolved.statementTimeoutMs,
    query_timeout: resolved.statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS,
    // Finds connections a silent network broke while they sat idle.
    keepAlive: true,
  });
  pool.on("error", (err) => {
    resolved.logger?.warn({ err }, "an idle PostgreSQL connection failed; the pool dropped it");
  });

  const poolExecutor: SqlExecutor = {
    async query<R>(sql: string, params: readonly unknown[] = []) {
      // pool.query destroys its connection after any error, so a broken one is never reused.
      const result = await pool.query(sql, [...params]);
      return result.rows as R[];
    },
    async exec(sql) {
      await pool.query(sql);
    },
  };

  return {
    kind: "postgres",
    ...poolExecutor,
    async transaction(fn) {
      const client = await pool.connect();
      // A connection that breaks between two statements emits 'error' on the client; unheard, that ends the process.
      const onError = (err: Error) => resolved.logger?.warn({ err }, "a PostgreSQL connection failed in a transaction");
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await fn(clientExecutor(client));
        await client.query("COMMIT");
        release(client, onError);
        return result;
      } catch (err) {
        release(client, onError, await rollback(client, err));
        throw err;
      }
    },
    async close() {
      await pool.end();
    },
  };
}

function clientExecutor(client: PoolClient): SqlExecutor {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query(sql, [...params]);
      return result.rows as R[];
    },
    async exec(sql) {
      await client.query(sql);
    },
  };
}

/**
 * Rolls back after `err`; returns the error to destroy the connection with,
 * or undefined when it is fit to reuse. Only a server's answer (a
 * `DatabaseError`) proves the connection still works: after a timeout or a
 * broken socket a ROLLBACK would only wait for the same fate.
 */
async function rollback(client: PoolClient, err: unknown): Promise<Error | undefined> {
  if (!(err instanceof DatabaseError)) {
    return err instanceof Error ? err : new Error(String(err));
  }
  try {
    await client.query("ROLLBACK");
    return undefined;
  } catch (rollbackErr) {
    return rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
  }
}

function release(client: PoolClient, onError: (err: Error) => void, destroyWith?: Error): void {
  client.off("error", onError);
  client.release(destroyWith);
}

/** Options for {@link createPgliteDatabase}. */
export interface PgliteDatabaseOptions {
  /** `memory://` for a database in memory; otherwise a directory, created if missing. */
  readonly dataDir: string;
  /** Where the embedded database's start-up is logged. Default: not logged. */
  readonly logger?: Logger;
  /**
   * A dump of an initialised data directory ({@link createPgliteTemplate}) that
   * a new database (in memory, or a directory PGlite has not initialised yet)
   * starts from, instead of running initdb: about 0.3 s instead of 1.5–3 s.
   * Ignored for a directory that holds a database. Default: none.
   */
  readonly template?: Blob;
}

const IN_MEMORY = "memory://";

/**
 * Hex codecs for `bytea` on Node's native hex, instead of PGlite's default,
 * which goes byte by byte through JavaScript strings: about twice as fast on a
 * batch of event payloads. Arrays of `bytea` use them too.
 */
const byteaCodecs = {
  serializers: {
    [pgliteTypes.BYTEA]: (value: Uint8Array) => `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`,
  },
  parsers: {
    [pgliteTypes.BYTEA]: (text: string) => Buffer.from(text.slice(2), "hex"),
  },
};

/**
 * Creates a {@link SqlDatabase} on embedded PGlite, in memory or in a
 * directory. A directory is locked for this process while open (see
 * `acquireDataDirLock`): a second open, here or in another process, fails with
 * a `DataDirInUseError` naming the directory, until this one is closed.
 */
export async function createPgliteDatabase(options: PgliteDatabaseOptions): Promise<SqlDatabase> {
  const { dataDir, logger } = options;
  let releaseLock = async (): Promise<void> => {};
  if (dataDir !== IN_MEMORY) {
    await mkdir(dataDir, { recursive: true });
    const lock = await acquireDataDirLock(dataDir);
    releaseLock = () => lock.release();
  }
  const startedAt = performance.now();
  let pglite: PGlite;
  try {
    const fresh = dataDir === IN_MEMORY || !existsSync(join(dataDir, "PG_VERSION"));
    pglite = await PGlite.create(dataDir, {
      ...byteaCodecs,
      ...(options.template !== undefined && fresh ? { loadDataDir: options.template } : {}),
    });
  } catch (err) {
    await releaseLock();
    throw err;
  }
  logger?.info({ dataDir, startMs: Math.round(performance.now() - startedAt) }, "embedded PGlite database open");
  return pgliteDatabase(pglite, releaseLock);
}

/** The {@link SqlDatabase} over an open PGlite; `onClose` runs after it closes. */
function pgliteDatabase(pglite: PGlite, onClose: () => Promise<void>): SqlDatabase {
  const executor = (target: Pick<PGlite, "query" | "exec">): SqlExecutor => ({
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const result = await target.query<R>(sql, [...params]);
      return result.rows;
    },
    async exec(sql) {
      await target.exec(sql);
    },
  });

  return {
    kind: "pglite",
    ...executor(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(executor(tx))),
    async close() {
      try {
        if (!pglite.closed) {
          await pglite.close();
        }
      } finally {
        await onClose();
      }
    },
  };
}

/**
 * Creates an empty PGlite database in memory with the service's schema and
 * returns a dump of its data directory, for {@link PgliteDatabaseOptions.template}:
 * a process that starts many short-lived embedded stores (tests, tools) pays
 * initdb once instead of once per store.
 */
export async function createPgliteTemplate(migrate: (db: SqlDatabase) => Promise<unknown>): Promise<Blob> {
  const pglite = await PGlite.create(IN_MEMORY, byteaCodecs);
  try {
    const db = pgliteDatabase(pglite, async () => {});
    await migrate(db);
    return await pglite.dumpDataDir("none");
  } finally {
    await pglite.close();
  }
}
