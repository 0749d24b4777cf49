import { mkdir, realpath } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { DataDirInUseError } from "./data-dir-lock.js";
import type { ServiceStore } from "./open-store.js";
import type { StoreCall, StoreReply, WorkerStoreOptions } from "./worker-messages.js";

/** Options of {@link openStoreInWorker}. */
export interface WorkerStoreOpenOptions {
  /** PGlite's directory, created if missing; `memory://` keeps it in memory. */
  readonly dataDir: string;
  /** What a new database starts from instead of initdb (see `createStoreTemplate`). Default: none. */
  readonly pgliteTemplate?: Blob;
}

/** Failed in the store's thread; the message is the thread's. */
export class WorkerStoreError extends Error {
  override readonly name = "WorkerStoreError";
}

/**
 * Opens the embedded (PGlite) store in a worker thread of its own and returns
 * a {@link ServiceStore} that forwards every call to it. PGlite executes queries
 * synchronously, in WebAssembly: on the service's thread, every batch of run
 * records (about 1 ms a write plus 40 µs a row) would hold up every RPC for as
 * long, and show up in their tail latency. Rows cross the thread boundary by
 * structured clone (Dates and byte arrays included). A directory in use
 * rejects with a {@link DataDirInUseError}, as {@link openStore} does.
 */
export async function openStoreInWorker(options: WorkerStoreOpenOptions): Promise<ServiceStore> {
  // The lock file tells processes apart, not threads: stores of this process are counted here.
  const held = options.dataDir === "memory://" ? undefined : await holdInThisProcess(options.dataDir);
  try {
    return await openInThread(options, held);
  } catch (err) {
    held?.release();
    throw err;
  }
}

/** Directories open in a store of this process, by real path; one registry per process, whichever copy of this module asks. */
const openDirs: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for("agent-service.store.open-data-dirs")] ??= new Set<string>()) as Set<string>;

async function holdInThisProcess(dataDir: string): Promise<{ release: () => void }> {
  await mkdir(dataDir, { recursive: true });
  const path = await realpath(dataDir);
  if (openDirs.has(path)) {
    throw new DataDirInUseError(path, process.pid);
  }
  openDirs.add(path);
  return { release: () => openDirs.delete(path) };
}

async function openInThread(options: WorkerStoreOpenOptions, held: { release: () => void } | undefined): Promise<ServiceStore> {
  const template = options.pgliteTemplate === undefined ? undefined : await options.pgliteTemplate.arrayBuffer();
  const workerOptions: WorkerStoreOptions = { dataDir: options.dataDir, ...(template === undefined ? {} : { template }) };
  // Built, the thread is `pglite-worker.js`; from source (development, tests) it runs under tsx.
  const fromSource = import.meta.url.endsWith(".ts");
  const worker = new Worker(new URL(fromSource ? "./pglite-worker.ts" : "./pglite-worker.js", import.meta.url), {
    workerData: workerOptions,
    ...(template === undefined ? {} : { transferList: [template] }),
    ...(fromSource ? { execArgv: ["--import", "tsx"] } : {}),
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let gone: Error | undefined;
  const errorOf = (reply: Extract<StoreReply, { ok: false }>): Error =>
    reply.dataDirInUse === undefined
      ? new WorkerStoreError(reply.message)
      : new DataDirInUseError(reply.dataDirInUse.dataDir, reply.dataDirInUse.holderPid);
  const failAll = (err: Error) => {
    gone ??= err;
    for (const call of pending.values()) {
      call.reject(err);
    }
    pending.clear();
  };
  worker.on("message", (reply: StoreReply) => {
    const call = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) {
      call?.resolve(reply.value);
    } else {
      call?.reject(errorOf(reply));
    }
  });
  worker.on("error", (err) => failAll(err));
  worker.on("exit", (code) => failAll(new WorkerStoreError(`the embedded store's thread exited (code ${code})`)));

  const opened = new Promise<unknown>((resolve, reject) => pending.set(0, { resolve, reject }));
  try {
    await opened;
  } catch (err) {
    await worker.terminate();
    throw err;
  }

  const call = <T>(method: StoreCall["method"], ...args: unknown[]): Promise<T> => {
    if (gone !== undefined) {
      return Promise.reject(gone);
    }
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies StoreCall);
    });
  };

  return {
    kind: "pglite",
    write: (batch) => call("write", batch),
    getRun: (runId) => call("getRun", runId),
    listEvents: (runId, afterSeq, limit) => call("listEvents", runId, afterSeq, limit),
    listRuns: (filter) => call("listRuns", filter),
    listThreadRuns: (filter) => call("listThreadRuns", filter),
    claimIdempotencyKey: (claim) => call("claimIdempotencyKey", claim),
    deleteKeysClaimedBefore: (cutoff, batchSize) => call("deleteKeysClaimedBefore", cutoff, batchSize),
    endInterruptedRuns: (endedAt) => call("endInterruptedRuns", endedAt),
    heartbeat: (replicaId) => call("heartbeat", replicaId),
    endRunsOfStoppedReplicas: (staleAfterMs, endedAt) => call("endRunsOfStoppedReplicas", staleAfterMs, endedAt),
    deleteEndedBefore: (cutoff, batchSize) => call("deleteEndedBefore", cutoff, batchSize),
    // The audit chain's hashes are computed in the store's thread too, inside the append's transaction.
    appendAudit: (entries) => call("appendAudit", entries),
    auditHead: () => call("auditHead"),
    readAuditChain: (afterSeq, throughSeq, limit) => call("readAuditChain", afterSeq, throughSeq, limit),
    listAuditEvents: (filter) => call("listAuditEvents", filter),
    registerPromptVersion: (row, activate, activatedBy) => call("registerPromptVersion", row, activate, activatedBy),
    getPromptVersion: (name, version) => call("getPromptVersion", name, version),
    listPromptVersions: (name) => call("listPromptVersions", name),
    listPromptActivations: (name, limit) => call("listPromptActivations", name, limit),
    activatePromptVersion: (request) => call("activatePromptVersion", request),
    activePrompts: () => call("activePrompts"),
    promptsGeneration: () => call("promptsGeneration"),
    startExperiment: (row) => call("startExperiment", row),
    endExperiment: (experimentId, ending) => call("endExperiment", experimentId, ending),
    getExperiment: (experimentId) => call("getExperiment", experimentId),
    listExperiments: (prompt, limit) => call("listExperiments", prompt, limit),
    runningExperiments: () => call("runningExperiments"),
    saveCanaryState: (experimentId, state) => call("saveCanaryState", experimentId, state),
    experimentOutcomes: (experimentId, window) => call("experimentOutcomes", experimentId, window),
    submitFeedback: (row) => call("submitFeedback", row),
    async close() {
      try {
        if (gone === undefined) {
          await call("close");
        }
      } finally {
        await worker.terminate();
        held?.release();
      }
    },
  };
}
