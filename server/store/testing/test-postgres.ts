import { randomBytes } from "node:crypto";
import pg from "pg";

/** The PostgreSQL the tests create their databases on: `DATABASE_URL`, or a local server. */
export const adminDatabaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** Host and port of {@link adminDatabaseUrl}, for a proxy in front of it. */
export function testPostgresAddress(): { host: string; port: number } {
  const url = new URL(adminDatabaseUrl);
  return { host: url.hostname, port: url.port === "" ? 5432 : Number(url.port) };
}

/** A database of its own for one test file, dropped at the end. */
export interface TestPostgresDatabase {
  readonly name: string;
  /** URL of the database, with the admin URL's credentials. */
  readonly url: string;
  /** {@link url} through a proxy on 127.0.0.1:`port`. */
  viaPort(port: number): string;
  /** Runs one statement on the database (to arrange or inspect it). */
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Drops the database, closing any connection still on it. */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, empty database through the admin connection. Fails (never
 * skips) when PostgreSQL cannot be reached: these tests must run.
 */
export async function createTestPostgresDatabase(): Promise<TestPostgresDatabase> {
  const name = `agent_store_test_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  const urlOf = (host?: string, port?: number): string => {
    const url = new URL(adminDatabaseUrl);
    url.pathname = `/${name}`;
    if (host !== undefined && port !== undefined) {
      url.hostname = host;
      url.port = String(port);
    }
    return url.href;
  };
  return {
    name,
    url: urlOf(),
    viaPort: (port) => urlOf("127.0.0.1", port),
    async query<R>(sql: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: urlOf() });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as R[];
      } finally {
        await client.end();
      }
    },
    async drop() {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
