import { storeTemplate } from "../../../test/support/store-template.js";
import { createPgliteDatabase, createPostgresDatabase, type SqlDatabase } from "../sql-database.js";
import { createTestPostgresDatabase } from "./test-postgres.js";

/** A database engine the store's SQL runs on, for `describe.each`: embedded PGlite and the real PostgreSQL. */
export interface StoreEngine {
  readonly name: string;
  /** A fresh, empty database of the engine, and how to dispose of it. */
  open(): Promise<{ readonly db: SqlDatabase; dispose(): Promise<void> }>;
}

/** Both engines: the same SQL must behave the same on each. */
export const storeEngines: readonly StoreEngine[] = [
  {
    name: "PGlite",
    async open() {
      const db = await createPgliteDatabase({ dataDir: "memory://", template: storeTemplate() });
      return { db, dispose: () => db.close() };
    },
  },
  {
    name: "PostgreSQL",
    async open() {
      const database = await createTestPostgresDatabase();
      const db = createPostgresDatabase({ url: database.url });
      return { db, dispose: async () => (await db.close(), await database.drop()) };
    },
  },
];
