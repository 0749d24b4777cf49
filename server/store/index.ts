/**
 * The durable store of runs and their events, on PostgreSQL or embedded
 * PGlite: {@link openStore} is the entry point.
 */
export type {
  IdempotencyClaim,
  IdempotencyOutcome,
  RunEventRow,
  RunFilter,
  RunRow,
  RunStatus,
  RunStore,
  RunWriteBatch,
  ThreadFilter,
} from "./run-store.js";
export { createStoreTemplate, openStore } from "./open-store.js";
export type { StoreOptions } from "./open-store.js";
export { createSqlRunStore } from "./sql-run-store.js";
export { createPgliteDatabase, createPostgresDatabase } from "./sql-database.js";
export type { PgliteDatabaseOptions, PostgresDatabaseOptions, SqlDatabase, SqlExecutor } from "./sql-database.js";
export { applyMigrations, migrations } from "./migrations.js";
export type { Migration } from "./migrations.js";
export { DATA_DIR_LOCK_FILE, DataDirInUseError, isDataDirInUseError } from "./data-dir-lock.js";
export { openStoreInWorker, WorkerStoreError } from "./worker-store.js";
export type { WorkerStoreOpenOptions } from "./worker-store.js";
