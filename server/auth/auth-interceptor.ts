import type { Interceptor } from "@connectrpc/connect";
import { serverSpanKey } from "../rpc/trace-interceptor.js";
import { ATTR_AGENT_PRINCIPAL } from "../telemetry/semconv.js";
import { authorizeMethod, isOpenMethod } from "./access-policy.js";
import type { Authenticator } from "./authenticator.js";
import { principalKey } from "./principal.js";

/**
 * Authenticates every call but the open ones (health, reflection), checks the
 * method's role, and sets the principal as a context value: the only place
 * it is set. Handlers read it with `principalOf(ctx)`.
 */
export function createAuthInterceptor(authenticator: Authenticator): Interceptor {
  return (next) => async (req) => {
    if (isOpenMethod(req.method)) {
      return next(req);
    }
    const principal = await authenticator.authenticate(req.header.get("authorization"));
    // Set before the role check, so that a refusal is audited with who was refused; no handler runs after one.
    req.contextValues.set(principalKey, principal);
    authorizeMethod(principal, req.method);
    req.contextValues.get(serverSpanKey)?.setAttribute(ATTR_AGENT_PRINCIPAL, principal.id);
    return next(req);
  };
}
