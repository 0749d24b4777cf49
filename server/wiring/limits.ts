import type { Logger } from "pino";
import type { Config } from "../config.js";
import { createPrincipalLimiter, type PrincipalLimiter } from "../limits/principal-limiter.js";
import type { Closers } from "./closers.js";

/** The per-principal limits and budgets: in Redis when `REDIS_URL` is set, so that replicas share them. */
export function wirePrincipalLimiter(options: { readonly settings: Config["limits"]; readonly logger: Logger }, closers: Closers): PrincipalLimiter {
  const limiter = createPrincipalLimiter({ policy: options.settings.policy, redisUrl: options.settings.redisUrl, logger: options.logger });
  closers.push(() => limiter.close());
  return limiter;
}
