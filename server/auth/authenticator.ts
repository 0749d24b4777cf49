import { Code, type ConnectError } from "@connectrpc/connect";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import type { ApiKeys } from "./api-keys.js";
import { JwtRejectedError, type JwtVerifier } from "./jwt-verifier.js";
import { devPrincipal, type Principal } from "./principal.js";

/** Establishes who is calling from the request's `Authorization` header. */
export interface Authenticator {
  /** Without keys or JWT configured: every caller is the local `dev` principal. */
  readonly mode: "dev" | "authenticated";
  /** The caller's principal; throws UNAUTHENTICATED (or UNAVAILABLE when the identity provider cannot be reached). */
  authenticate(authorization: string | null): Promise<Principal>;
}

/** What an authenticator checks credentials against: either, both, or neither (dev). */
export interface AuthenticatorOptions {
  /** The API key table; read again on SIGHUP, so it is asked for on every call. */
  readonly apiKeys: (() => ApiKeys) | undefined;
  readonly jwt: JwtVerifier | undefined;
}

const bearer = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i;
/** Three base64url segments: a compact JWS. API keys never have dots. */
const compactJws = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Creates the authenticator. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { apiKeys, jwt } = options;
  if (apiKeys === undefined && jwt === undefined) {
    return { mode: "dev", authenticate: () => Promise.resolve(devPrincipal) };
  }
  const accepted = [apiKeys === undefined ? undefined : "an API key", jwt === undefined ? undefined : "a JWT"].filter((x) => x !== undefined).join(" or ");
  return {
    mode: "authenticated",
    async authenticate(authorization) {
      if (authorization === null || authorization.trim() === "") {
        throw unauthenticated(`missing credentials: send the header "Authorization: Bearer <${accepted}>"`, "CREDENTIALS_MISSING");
      }
      const token = bearer.exec(authorization)?.[1];
      if (token === undefined) {
        throw unauthenticated(`the Authorization header must be "Bearer <${accepted}>"`, "CREDENTIALS_MALFORMED");
      }
      if (jwt !== undefined && compactJws.test(token)) {
        try {
          return await jwt.verify(token);
        } catch (err) {
          if (err instanceof JwtRejectedError && err.reason === "TOKEN_KEYS_UNAVAILABLE") {
            throw connectErrorWithDetail(err.message, Code.Unavailable, { reason: err.reason, retryAfterMs: 1_000 }, err);
          }
          if (err instanceof JwtRejectedError) {
            throw unauthenticated(err.message, err.reason, err);
          }
          throw err;
        }
      }
      const principal = apiKeys?.().lookup(token);
      if (principal === undefined) {
        throw unauthenticated(
          apiKeys === undefined ? "the bearer token is not a JWT, and this service accepts only JWTs" : "the API key is not valid (unknown, or revoked)",
          "CREDENTIALS_INVALID",
        );
      }
      return principal;
    },
  };
}

function unauthenticated(message: string, reason: string, cause?: unknown): ConnectError {
  return connectErrorWithDetail(message, Code.Unauthenticated, { reason }, cause);
}
