import type { Logger } from "pino";
import { ApiKeysFileError, readApiKeys, type ApiKeys } from "../auth/api-keys.js";
import { createAuthenticator, type Authenticator } from "../auth/authenticator.js";
import { createJwtVerifier, JwtKeyError, type JwtVerifier } from "../auth/jwt-verifier.js";
import { parseSecretSetting, type Config } from "../config.js";
import { createReloadableSecret } from "../reloadable-secret.js";
import { StartupError } from "../startup-error.js";

/** What {@link wireAuth} needs. */
export interface AuthWiringOptions {
  readonly settings: Config["auth"];
  /** `AGENT_JWT_PUBLIC_KEY_FILE`'s path, when the JWT key was given as a file: reread on reload. */
  readonly jwtPublicKeyFile: string | undefined;
  readonly logger: Logger;
}

/** Authentication, and how to reread its files. */
export interface AuthParts {
  readonly authenticator: Authenticator;
  /**
   * Rereads the API keys file and the JWT public key's file (SIGHUP): calls
   * after it are checked against the new keys, calls already admitted go on.
   * A file that cannot be read, parsed or imported leaves the old keys in
   * force, and says why.
   */
  reload(): Promise<void>;
}

/** Builds the authenticator from the configuration; a keys file or JWT key that cannot be used fails the start. */
export async function wireAuth(options: AuthWiringOptions): Promise<AuthParts> {
  const { settings, logger } = options;
  const file = settings.apiKeysFile;
  let keys: ApiKeys | undefined;
  if (file !== undefined) {
    try {
      keys = await readApiKeys(file);
    } catch (err) {
      throw new StartupError("AGENT_API_KEYS_FILE", err instanceof ApiKeysFileError ? err.message : String(err), { cause: err });
    }
  }
  let jwt: JwtVerifier | undefined;
  if (settings.jwt !== undefined) {
    try {
      jwt = await createJwtVerifier(settings.jwt);
    } catch (err) {
      throw new StartupError("AGENT_JWT_PUBLIC_KEY", err instanceof JwtKeyError ? err.message : "cannot be used", { cause: err });
    }
  }
  const verifier = jwt;
  const jwtPublicKey =
    verifier === undefined || options.jwtPublicKeyFile === undefined || settings.jwt?.publicKey === undefined
      ? undefined
      : createReloadableSecret({
          name: "AGENT_JWT_PUBLIC_KEY",
          file: options.jwtPublicKeyFile,
          initial: settings.jwt.publicKey,
          parse: (text) => parseSecretSetting("AGENT_JWT_PUBLIC_KEY", text),
          // Imported before it is in force: a key that does not import leaves the old one verifying.
          use: (publicKey) => verifier.replaceKey(publicKey),
          logger,
        });
  const authenticator = createAuthenticator({ apiKeys: keys === undefined ? undefined : () => keys as ApiKeys, jwt });
  if (authenticator.mode === "dev") {
    logger.warn(
      "no authentication is configured: every caller is the local principal dev (with every role). " +
        "Set AGENT_API_KEYS_FILE or AGENT_JWT_JWKS_URL before listening beyond loopback",
    );
  } else {
    logger.info({ api_keys: keys?.size ?? 0, jwt: settings.jwt !== undefined }, "callers authenticate with a bearer token");
  }
  return {
    authenticator,
    async reload() {
      await jwtPublicKey?.reread();
      if (file === undefined) {
        return;
      }
      try {
        keys = await readApiKeys(file);
        logger.info({ api_keys: keys.size }, `reread the API keys from ${file}`);
      } catch (err) {
        logger.error({ err }, `the API keys file cannot be used; the keys read before stay in force: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}
