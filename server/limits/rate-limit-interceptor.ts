import type { Interceptor } from "@connectrpc/connect";
import { principalKey } from "../auth/principal.js";
import type { PrincipalLimiter } from "./principal-limiter.js";

/**
 * Counts every authenticated call against its principal's requests per
 * minute, right after authentication and before any other work; an open
 * method (health) has no principal and is not counted.
 */
export function createRateLimitInterceptor(limiter: PrincipalLimiter): Interceptor {
  return (next) => async (req) => {
    const principal = req.contextValues.get(principalKey);
    if (principal !== undefined) {
      await limiter.admitRequest(principal);
    }
    return next(req);
  };
}
