/** Closes one part of the service that a wiring step started. */
export type Closer = () => Promise<void>;

/**
 * Where a wiring step registers how to close what it started, right after
 * starting it: a later failure, even later in the same step, then closes it
 * too. Steps only add; {@link closeAll} closes, last started first.
 */
export interface Closers {
  push(close: Closer): void;
}

/** Runs every closer, last started first, even when some fail; then reports the failures. */
export async function closeAll(closers: Closer[]): Promise<void> {
  const results = await closers
    .splice(0)
    .reverse()
    .reduce<Promise<PromiseSettledResult<void>[]>>(
      async (done, close) => [...(await done), ...(await Promise.allSettled([close()]))],
      Promise.resolve([]),
    );
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    throw new AggregateError(failures, "some parts of the service did not close cleanly");
  }
}
