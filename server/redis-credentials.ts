import type { Redis, RedisOptions } from "ioredis";

/** The user name and password a Redis URL carries, decoded as ioredis decodes them. */
export function redisCredentialsOf(url: string): Pick<RedisOptions, "username" | "password"> {
  const parsed = new URL(url);
  // As ioredis' own parse: `redis://:secret@host` has a password and an empty user name.
  if (parsed.username === "" && parsed.password === "") {
    return { username: undefined, password: undefined };
  }
  return { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
}

/**
 * Has each reconnection of `client` authenticate with the credentials of the
 * URL `url()` gives at that moment, so a password reread on SIGHUP is used
 * from the next connection on; the connection that is open stays as it is
 * (Redis authenticates a connection once).
 *
 * ioredis takes no password function: it reads `client.options` at each
 * connection, and emits `reconnecting` before it connects again (on the next
 * tick, ahead of the reconnect timer), so the credentials are written there.
 * A reconnection already scheduled when the value changes still uses the
 * old credentials; the one after it, the new. Only the credentials follow
 * `url()`: the server, database and TLS stay those of the URL the client was
 * created with.
 */
export function followRedisCredentials(client: Redis, url: () => string): void {
  client.on("reconnecting", () => {
    let credentials;
    try {
      credentials = redisCredentialsOf(url());
    } catch {
      // A URL that does not decode keeps the credentials in use; thrown here, it would end the process.
      return;
    }
    Object.assign(client.options, credentials);
  });
}
