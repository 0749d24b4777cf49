import { readFile, realpath, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createErrorBrand } from "../errors/error-brand.js";

/** Name of the lock file inside a PGlite data directory. */
export const DATA_DIR_LOCK_FILE = "agent-store.lock";

const brand = createErrorBrand<DataDirInUseError>("DataDirInUseError");

/** The PGlite data directory is held by another process, or by another store of this one. */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
  constructor(
    /** The directory, its real path. */
    readonly dataDir: string,
    /** The pid in its lock file. */
    readonly holderPid: number,
  ) {
    super(
      holderPid === process.pid
        ? `the data directory ${dataDir} is already open in this process: close that store first`
        : `the data directory ${dataDir} is in use by another process (pid ${holderPid}): ` +
            `stop that process, or give this one another directory; ` +
            `if no process ${holderPid} uses it, delete ${join(dataDir, DATA_DIR_LOCK_FILE)}`,
    );
    brand.mark(this);
  }
}

/** True when `err` is a {@link DataDirInUseError}, from any copy of this package. */
export function isDataDirInUseError(err: unknown): err is DataDirInUseError {
  return brand.is(err);
}

/** A held lock on a data directory. */
export interface DataDirLock {
  /** Removes the lock file, if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/**
 * Directories this process holds. A lock file naming our own pid is ours only
 * if it is in here; otherwise it was left by an earlier process that had the
 * same pid, which is the rule rather than the exception in a container, where
 * the service is pid 1 on every start. Process-wide because pids are.
 */
const heldByThisProcess = new Set<string>();

/**
 * Takes the exclusive lock on `dataDir` (which must exist): a file holding
 * this process's pid, created only if absent (flag `wx`), so two processes
 * never run PGlite on one directory. PGlite itself does not prevent it: it
 * writes a `postmaster.pid` with a fixed pid and never checks it.
 *
 * A lock whose pid is not alive is stale and taken over, as PostgreSQL does
 * with its own lock file, with the same small race when two processes take over
 * one stale lock at the same instant. A pid is only meaningful on one machine
 * and in one pid namespace: two containers sharing a volume are not protected.
 *
 * @throws {DataDirInUseError} when a live process holds it.
 */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  // The real path, so that two spellings of one directory (a symbolic link) are one directory.
  const directory = await realpath(dataDir);
  // Claimed before the next await, so two stores of this process never race for one directory.
  if (heldByThisProcess.has(directory)) {
    throw new DataDirInUseError(directory, process.pid);
  }
  heldByThisProcess.add(directory);
  try {
    return await takeLockFile(directory);
  } catch (err) {
    heldByThisProcess.delete(directory);
    throw err;
  }
}

async function takeLockFile(directory: string): Promise<DataDirLock> {
  const lockPath = join(directory, DATA_DIR_LOCK_FILE);
  const ownPid = String(process.pid);
  // A few attempts: each failed one removed a stale lock, and another process may win the next.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeFile(lockPath, `${ownPid}\n`, { flag: "wx" });
      return createHeldLock(directory, lockPath, ownPid);
    } catch (err) {
      if (!isFileExists(err)) {
        throw err;
      }
    }
    const holderPid = await readLockPid(lockPath);
    // Our own pid here is a predecessor's: this process claimed the directory above and has not written yet.
    if (holderPid !== undefined && holderPid !== process.pid && isAlive(holderPid)) {
      throw new DataDirInUseError(directory, holderPid);
    }
    await unlink(lockPath).catch(ignoreMissing);
  }
  throw new Error(`could not take the lock ${lockPath}: it kept reappearing`);
}

function createHeldLock(directory: string, lockPath: string, ownPid: string): DataDirLock {
  let released = false;
  return {
    async release() {
      if (released) {
        return;
      }
      released = true;
      try {
        // Never remove a lock another process took over (after someone deleted ours by hand).
        const content = await readFile(lockPath, "utf8").catch(() => undefined);
        if (content?.trim() === ownPid) {
          await unlink(lockPath).catch(ignoreMissing);
        }
      } finally {
        // Only now: a store of this process opened meanwhile would take our file for a predecessor's.
        heldByThisProcess.delete(directory);
      }
    },
  };
}

/** The pid in the lock file; undefined when gone or unreadable (a writer that died before writing it). */
async function readLockPid(lockPath: string): Promise<number | undefined> {
  const content = await readFile(lockPath, "utf8").catch(() => undefined);
  const pid = Number(content?.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    // Signal 0 checks existence and permission without delivering anything.
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return hasCode(err, "EPERM");
  }
}

function isFileExists(err: unknown): boolean {
  return hasCode(err, "EEXIST");
}

function ignoreMissing(err: unknown): void {
  if (!hasCode(err, "ENOENT")) {
    throw err;
  }
}

function hasCode(err: unknown, code: string): boolean {
  return err instanceof Error && "code" in err && err.code === code;
}
