import { parentPort, workerData } from "node:worker_threads";
import { isDataDirInUseError } from "./data-dir-lock.js";
import { openStore, type ServiceStore } from "./open-store.js";
import type { StoreCall, StoreReply, WorkerStoreOptions } from "./worker-messages.js";

/**
 * The embedded store's thread: PGlite runs its queries synchronously in
 * WebAssembly, so on the service's own thread every write would hold up
 * every RPC for its duration. Here the main thread only posts rows and reads
 * answers (see `openStoreInWorker`).
 */
const options = workerData as WorkerStoreOptions;
const port = parentPort;
if (port === null) {
  throw new Error("pglite-worker.ts runs only as a worker thread");
}

function failure(id: number, err: unknown): StoreReply {
  return {
    id,
    ok: false,
    message: err instanceof Error ? err.message : String(err),
    ...(isDataDirInUseError(err) ? { dataDirInUse: { dataDir: err.dataDir, holderPid: err.holderPid } } : {}),
  };
}

let store: ServiceStore | undefined;
const opened = openStore({
  dataDir: options.dataDir,
  ...(options.template === undefined ? {} : { pgliteTemplate: new Blob([options.template]) }),
}).then(
  (ready) => {
    store = ready;
    port.postMessage({ id: 0, ok: true, value: ready.kind } satisfies StoreReply);
  },
  (err: unknown) => port.postMessage(failure(0, err)),
);

port.on("message", (call: StoreCall) => {
  void (async () => {
    await opened;
    if (store === undefined) {
      port.postMessage(failure(call.id, new Error("the embedded store did not open")));
      return;
    }
    try {
      const value: unknown = await (store[call.method] as (...args: unknown[]) => Promise<unknown>)(...call.args);
      port.postMessage({ id: call.id, ok: true, value } satisfies StoreReply);
    } catch (err) {
      port.postMessage(failure(call.id, err));
    }
  })();
});
