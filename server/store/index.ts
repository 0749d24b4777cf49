/**
 * The durable store of runs and their events, of the audit log and of prompts, on
 * PostgreSQL or embedded PGlite: {@link openStore} is the entry point.
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
export type { AuditAction, AuditDetailValue, AuditEntry, AuditFilter, AuditHead, AuditRow, AuditStore, KeyedAuditEntry } from "./audit-store.js";
export type {
  ActivePrompts,
  PromptActivationOutcome,
  PromptActivationRequest,
  PromptActivationRow,
  PromptRegistration,
  PromptStore,
  PromptVersionRow,
} from "./prompt-store.js";
export { createSqlPromptStore } from "./sql-prompt-store.js";
export type { ArmOutcomeRow, ExperimentEnding, ExperimentRow, ExperimentStatus, ExperimentStore, FeedbackRow } from "./experiment-store.js";
export { createSqlExperimentStore } from "./sql-experiment-store.js";
export { emptyAuditHead, linkAuditEntries } from "./audit-chain.js";
export type { AuditProblem, AuditProblemKind } from "./audit-chain.js";
export { verifyAuditLog } from "./audit-verifier.js";
export type { AuditVerification, VerifyAuditLogOptions } from "./audit-verifier.js";
export { createStoreTemplate, openStore } from "./open-store.js";
export type { ServiceStore, StoreOptions } from "./open-store.js";
export { createSqlAuditStore } from "./sql-audit-store.js";
export { createSqlRunStore } from "./sql-run-store.js";
export { createPgliteDatabase, createPostgresDatabase } from "./sql-database.js";
export { postgresClientClass } from "./postgres-client.js";
export type { PgliteDatabaseOptions, PostgresDatabaseOptions, SqlDatabase, SqlExecutor } from "./sql-database.js";
export { applyMigrations, migrations } from "./migrations.js";
export type { Migration } from "./migrations.js";
export { DATA_DIR_LOCK_FILE, DataDirInUseError, isDataDirInUseError } from "./data-dir-lock.js";
export { openStoreInWorker, WorkerStoreError } from "./worker-store.js";
export type { WorkerStoreOpenOptions } from "./worker-store.js";
