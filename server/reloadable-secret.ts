import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { isConfigError } from "./config.js";
import { readSecretFile } from "./secret-files.js";
import type { SecretValue } from "./secret-source.js";

/** Options for {@link createReloadableSecret}. */
export interface ReloadableSecretOptions<T extends SecretValue> {
  /** The setting, such as `OPENAI_API_KEY`: what the log lines name. */
  readonly name: string;
  /** The file it was read from at start-up, `NAME_FILE`'s path. */
  readonly file: string;
  /** The value read at start-up. */
  readonly initial: T;
  /**
   * The file's content (less one trailing newline) as a value. Throws when the
   * value cannot be used, with a message that says why without quoting it
   * (such as `parseSecretSetting`'s `ConfigError`).
   */
  readonly parse: (text: string) => T;
  /**
   * Puts a new value to use before it is in force, such as importing a JWT
   * key; a rejection, whose message must not quote the value either, keeps
   * the old value in force. Default none.
   */
  readonly use?: (value: T) => Promise<void>;
  /** Where each reread is logged: one line, by the setting's name and file, never the value. */
  readonly logger: Logger;
}

/**
 * A secret setting given as a file, which SIGHUP rereads. The code that sends
 * it reads {@link current} at each use (see `SecretSource`), so a new value
 * applies from the next use on and the uses under way finish with the old one.
 */
export interface ReloadableSecret<T extends SecretValue> {
  /** The setting's name, such as `OPENAI_API_KEY`. */
  readonly name: string;
  /** The value in force. */
  readonly current: () => T;
  /**
   * Rereads the file and puts its value in force, logging one line: info
   * when it is in force (saying whether it changed), error when the file
   * cannot be read, parsed or used, and the value read before stays in force.
   * Never rejects.
   */
  reread(): Promise<void>;
}

/** Creates a {@link ReloadableSecret} holding {@link ReloadableSecretOptions.initial}. */
export function createReloadableSecret<T extends SecretValue>(options: ReloadableSecretOptions<T>): ReloadableSecret<T> {
  const { name, file, parse, use, logger } = options;
  let value = options.initial;
  return {
    name,
    current: () => value,
    async reread() {
      let next: T;
      try {
        next = parse(readSecretFile(file));
        await use?.(next);
      } catch (err) {
        const reason = reasonOf(err);
        logger.error({ setting: name, file, reason }, `${name}_FILE: cannot use ${file} (${reason}); the value read before stays in force`);
        return;
      }
      const changed = !isDeepStrictEqual(next, value);
      value = next;
      logger.info({ setting: name, file, changed }, `reread ${name} from ${file}${changed ? "" : " (unchanged)"}`);
    },
  };
}

/**
 * Why a reread failed, safe to log: a file system error's code, a
 * configuration problem's text (which names the setting, never its value),
 * or the message of an error thrown by `parse` or `use`, which must not
 * quote the value.
 */
function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") {
    return code;
  }
  if (isConfigError(err)) {
    return err.problems.join("; ");
  }
  return err instanceof Error ? err.message : "unusable";
}
