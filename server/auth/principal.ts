import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";

/**
 * What a principal may do: `caller` runs agents and reads its own runs and
 * threads; `admin` may do everything, including every principal's runs.
 */
export type Role = "caller" | "admin";

export const roles: readonly Role[] = ["caller", "admin"];

/** Who is calling, as authentication established it. Never from a request field. */
export interface Principal {
  /** The principal's name, recorded with its runs: an API key's `principal`, or a JWT's principal claim. */
  readonly id: string;
  readonly roles: readonly Role[];
  /** How it was established. */
  readonly via: "api-key" | "jwt" | "dev";
}

/** The local principal of a service without authentication (loopback only). */
export const devPrincipal: Principal = Object.freeze({ id: "dev", roles: Object.freeze(["caller", "admin"] as Role[]), via: "dev" as const });

/**
 * The context value the authentication interceptor sets, and nothing else
 * does; handlers read it with {@link principalOf}.
 */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "the authenticated principal" });

/** The caller of an RPC; a route that is not behind authentication has none, which is a bug. */
export function principalOf(ctx: Pick<HandlerContext, "values">): Principal {
  const principal = ctx.values.get(principalKey);
  if (principal === undefined) {
    throw new ConnectError("internal error: the method is not behind authentication", Code.Internal);
  }
  return principal;
}

/** True when the principal has `role` (admin has every role). */
export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.includes(role) || principal.roles.includes("admin");
}

/**
 * Whose runs the principal may see: its own, or, for an admin, everyone's.
 * Another principal's run is NOT_FOUND, as if it did not exist, so run ids
 * cannot be probed.
 */
export function runOwnerFilter(principal: Principal): (owner: string) => boolean {
  if (principal.roles.includes("admin")) {
    return () => true;
  }
  const id = principal.id;
  return (owner) => owner === id;
}
