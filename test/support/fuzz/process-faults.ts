/** Records what would crash a server process: uncaught exceptions and unhandled rejections. */
export interface ProcessFaults {
  /** Every fault seen since start, or since the last {@link ProcessFaults.take}. */
  take(): string[];
  /** Removes the listeners. */
  dispose(): void;
}

/**
 * Listens for `uncaughtException` and `unhandledRejection` on this process,
 * where the server under test runs. With a listener the process survives
 * them, so they are recorded here and failed on by the test instead.
 */
export function watchProcessFaults(): ProcessFaults {
  let faults: string[] = [];
  const onException = (err: unknown) => faults.push(`uncaught exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const onRejection = (reason: unknown) =>
    faults.push(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return {
    take() {
      const taken = faults;
      faults = [];
      return taken;
    },
    dispose() {
      process.off("uncaughtException", onException);
      process.off("unhandledRejection", onRejection);
    },
  };
}
