/**
 * A secret as the code that sends it takes it: the value, or a function that
 * gives the value in force, called at each use (each model call, each new
 * database or Redis connection, each telemetry export). A value the service
 * rereads on SIGHUP is then sent from the next use on, while the uses already
 * under way finish with the value they started with, and nothing is rebuilt:
 * breakers, caches and pools keep their state.
 */
export type SecretSource<T extends SecretValue = string> = T | (() => T);

/** What a secret setting holds: a key or URL, or a set of headers. */
export type SecretValue = string | Readonly<Record<string, string>>;

/** A function that gives `source`'s value in force, for code that reads it at each use. */
export function secretReader<T extends SecretValue>(source: SecretSource<T>): () => T {
  return typeof source === "function" ? source : () => source;
}
