import { afterEach, describe, expect, it } from "vitest";
import { createPostgresDatabase, type SqlDatabase, type SqlExecutor } from "./index.js";
import { adminDatabaseUrl } from "./testing/test-postgres.js";

// A database URL given as a function is read for each new connection (DATABASE_URL reread on
// SIGHUP). Which URL a connection was opened with shows in its application_name.

/** The admin URL with `application_name` set, so a connection tells which URL it was opened with. */
function urlNamed(name: string): string {
  const url = new URL(adminDatabaseUrl);
  url.searchParams.set("application_name", name);
  return url.href;
}

async function nameOf(executor: SqlExecutor): Promise<string | undefined> {
  return (await executor.query<{ name: string }>("SELECT current_setting('application_name') AS name"))[0]?.name;
}

let db: SqlDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

describe("a PostgreSQL pool over a URL function", () => {
  it("opens each new connection with the URL in force, and keeps the open ones", async () => {
    let url = urlNamed("agent-before");
    db = createPostgresDatabase({ url: () => url, poolSize: 2 });
    expect(await nameOf(db)).toBe("agent-before");

    url = urlNamed("agent-after");
    const pool = db;
    await pool.transaction(async (tx) => {
      // The transaction holds the one idle connection, opened before the change...
      expect(await nameOf(tx)).toBe("agent-before");
      // ...so this statement needs a new one, which reads the URL now.
      expect(await nameOf(pool)).toBe("agent-after");
    });
  });

  it("still takes a plain URL", async () => {
    db = createPostgresDatabase({ url: urlNamed("agent-plain") });
    expect(await nameOf(db)).toBe("agent-plain");
  });
});
