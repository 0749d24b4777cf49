import type { Logger } from "pino";
import type { Config } from "../config.js";
import { createPrincipalLimiter, type PrincipalLimiter } from "../limits/principal-limiter.js";
import type { Closers } from "./closers.js";

/** The per-principal limits and budgets: in Redis when `REDIS_URL` is set, so that replicas share them. */
export function wirePrincipalLimiter(
  options: {
    readonly settings: Config["limits"];
    /** `REDIS_URL`, read at each reconnection for its credentials (see `SecretParts.redisUrl`). */
    readonly redisUrl: (() => string) | undefined;
    readonly logger: Logger;
  },
  closers: Closers,
): PrincipalLimiter {
  const limiter = createPrincipalLimiter({ policy: options.settings.policy, redisUrl: options.redisUrl, logger: options.logger });
  closers.push(() => limiter.close());
  return limiter;
}
