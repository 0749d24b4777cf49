import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { openStore, openStoreInWorker, type ServiceStore } from "../store/index.js";
import type { Closers } from "./closers.js";

/** What {@link openRunStore} needs. */
export interface StoreWiringOptions {
  readonly settings: Config["store"];
  /** `DATABASE_URL`, read for each new connection (see `SecretParts.databaseUrl`). */
  readonly databaseUrl: (() => string) | undefined;
  /** What a new embedded store starts from; default the `AGENT_DATA_TEMPLATE` file, if any. */
  readonly pgliteTemplate: Blob | undefined;
  readonly logger: Logger;
}

/**
 * Opens the store of runs and of the audit log: PostgreSQL when `DATABASE_URL`
 * is set, embedded PGlite otherwise; an embedded store first ends the runs a
 * stopped process left running.
 */
export async function openRunStore(options: StoreWiringOptions, closers: Closers): Promise<ServiceStore> {
  const { settings, databaseUrl, logger } = options;
  const pgliteTemplate =
    options.pgliteTemplate ?? (settings.dataTemplate === undefined ? undefined : await readStoreTemplate(settings.dataTemplate));
  // PostgreSQL does its work in the database server; embedded PGlite does it in a thread of its own,
  // except in memory (`memory://`, which keeps nothing: for tests and trials), where starting fast matters more.
  const template = pgliteTemplate === undefined ? {} : { pgliteTemplate };
  const store =
    databaseUrl !== undefined
      ? await openStore({ databaseUrl, dataDir: settings.dataDir, poolSize: settings.poolSize, logger })
      : settings.dataDir === "memory://"
        ? await openStore({ dataDir: settings.dataDir, ...template })
        : await openStoreInWorker({ dataDir: settings.dataDir, ...template });
  closers.push(() => store.close());
  logger.info(
    { store: store.kind, ...(store.kind === "pglite" ? { data_dir: settings.dataDir } : {}) },
    store.kind === "pglite" ? `runs are recorded in embedded PGlite under ${settings.dataDir}` : "runs are recorded in PostgreSQL",
  );
  if (store.kind === "pglite") {
    // Only this process opens the embedded store: a run still running in it belonged to one that stopped.
    const interrupted = await store.endInterruptedRuns(new Date());
    if (interrupted > 0) {
      logger.warn({ runs: interrupted }, "runs left running by a process that stopped are recorded as failed (INTERRUPTED)");
    }
  }
  return store;
}

/** The `AGENT_DATA_TEMPLATE` file, or a start-up error naming it. */
async function readStoreTemplate(path: string): Promise<Blob> {
  try {
    return new Blob([await readFile(path)]);
  } catch (err) {
    throw new Error(`AGENT_DATA_TEMPLATE: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
