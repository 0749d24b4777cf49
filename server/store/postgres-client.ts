import { Client, type ClientConfig } from "pg";

/**
 * A `pg` client class whose every instance connects with the URL `url()`
 * gives when it is created: the `Client` option of a `pg.Pool`, which creates
 * one per new connection. A password reread on SIGHUP is then used from the
 * next connection on, and the connections already open stay as they are.
 *
 * Why not pg's `password` option, which may be an async function: with a
 * `connectionString`, pg takes the password from the URL over the option (an
 * empty one too, which then falls back to `PGPASSWORD` and `.pgpass`).
 */
export function postgresClientClass(url: () => string): new (config?: string | ClientConfig) => Client {
  return class extends Client {
    constructor(config?: string | ClientConfig) {
      super({ ...(typeof config === "string" ? {} : config), connectionString: url() });
    }
  };
}
