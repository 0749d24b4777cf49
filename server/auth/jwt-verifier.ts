import { createLocalJWKSet, createRemoteJWKSet, errors, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey} from "jose";
import { roles as knownRoles, type Principal, type Role } from "./principal.js";

/** How JWT bearer tokens are verified. */
export interface JwtSettings {
  /** The identity provider's JWKS document. One of `jwksUrl` and `publicKey` is set. */
  readonly jwksUrl: string | undefined;
  /** A PEM (SPKI) public key, for a deployment without a JWKS endpoint. */
  readonly publicKey: string | undefined;
  /** Algorithms accepted, such as RS256 or ES256; never `none`. */
  readonly algorithms: readonly string[];
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** The `aud` every token must carry (one of its values). */
  readonly audience: string;
  /** The claim that names the principal. Default `sub`. */
  readonly principalClaim: string;
  /** The claim that lists the roles: an array, or a space-separated string (as OAuth's `scope`). */
  readonly rolesClaim: string;
  /** Roles of a token without the roles claim. */
  readonly defaultRoles: readonly Role[];
  /** Tolerated clock difference with the issuer, in seconds, for `exp`, `nbf` and `iat`. */
  readonly clockSkewS: number;
  /** Longest wait for the JWKS document, in milliseconds. */
  readonly jwksTimeoutMs: number;
}

/** Why a token was refused: the caller's own problem (UNAUTHENTICATED), or the identity provider's (UNAVAILABLE). */
export class JwtRejectedError extends Error {
  override readonly name = "JwtRejectedError";
  constructor(
    message: string,
    readonly reason: "TOKEN_EXPIRED" | "TOKEN_INVALID" | "TOKEN_KEYS_UNAVAILABLE",
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A static key (`AGENT_JWT_PUBLIC_KEY`) that cannot be used: not a PEM SPKI
 * public key for the first accepted algorithm, nor a JWKS document. The
 * message says so without quoting the key; the cause says why.
 */
export class JwtKeyError extends Error {
  override readonly name = "JwtKeyError";
}

export interface JwtVerifier {
  /** The token's principal; throws {@link JwtRejectedError}. */
  verify(token: string): Promise<Principal>;
  /**
   * Verifies the tokens from now on with another static key, given as at
   * start-up (a PEM SPKI public key, or a JWKS document): `AGENT_JWT_PUBLIC_KEY`
   * reread on SIGHUP. Verifications under way finish with the key they began
   * with. Rejects with a {@link JwtKeyError}, keeping the key in force, when the
   * new one cannot be used, or when this verifier fetches its keys from a JWKS URL.
   */
  replaceKey(publicKey: string): Promise<void>;
}

type VerificationKey = JWTVerifyGetKey | Awaited<ReturnType<typeof importSPKI>>;

/** Creates the verifier; a static key is imported here, so a bad one fails the start (with a {@link JwtKeyError}). */
export async function createJwtVerifier(settings: JwtSettings): Promise<JwtVerifier> {
  let key: VerificationKey;
  if (settings.jwksUrl !== undefined) {
    key = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: settings.jwksTimeoutMs });
  } else if (settings.publicKey !== undefined) {
    key = await importStaticKey(settings.publicKey, settings.algorithms);
  } else {
    throw new Error("JWT verification needs a JWKS URL or a public key");
  }
  const options = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: [...settings.algorithms],
    clockTolerance: settings.clockSkewS,
    requiredClaims: ["exp"],
  };

  function principalOf(payload: JWTPayload): Principal {
    const id = payload[settings.principalClaim];
    if (typeof id !== "string" || !/^[\x21-\x7e]{1,128}$/.test(id)) {
      throw new JwtRejectedError(
        `the token's "${settings.principalClaim}" claim must name the principal (1 to 128 printable ASCII characters)`,
        "TOKEN_INVALID",
      );
    }
    const claimed = payload[settings.rolesClaim];
    const listed = typeof claimed === "string" ? claimed.split(" ") : Array.isArray(claimed) ? claimed : undefined;
    const granted = listed === undefined ? settings.defaultRoles : listed.filter((r): r is Role => knownRoles.includes(r as Role));
    return Object.freeze({ id, roles: Object.freeze([...new Set(granted)]), via: "jwt" as const });
  }

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key as JWTVerifyGetKey, options);
        return principalOf(payload);
      } catch (err) {
        throw rejection(err);
      }
    },
    async replaceKey(publicKey) {
      if (settings.jwksUrl !== undefined) {
        throw new JwtKeyError("the signing keys come from AGENT_JWT_JWKS_URL, not from a static key");
      }
      key = await importStaticKey(publicKey, settings.algorithms);
    },
  };
}

/** Imports a static key: a JWKS document given inline, or a PEM SPKI public key for the first algorithm. */
async function importStaticKey(publicKey: string, algorithms: readonly string[]): Promise<VerificationKey> {
  const alg = algorithms[0] ?? "RS256";
  try {
    if (publicKey.trimStart().startsWith("{")) {
      return createLocalJWKSet(JSON.parse(publicKey) as Parameters<typeof createLocalJWKSet>[0]);
    }
    return await importSPKI(publicKey, alg);
  } catch (err) {
    // Not the parser's message: JSON.parse quotes the text it fails on.
    throw new JwtKeyError(`cannot be used as a ${alg} public key (PEM SPKI, or a JWKS document)`, { cause: err });
  }
}

/** What a verification failure tells the caller: what to fix, never the token. */
function rejection(err: unknown): JwtRejectedError {
  if (err instanceof JwtRejectedError) {
    return err;
  }
  if (err instanceof errors.JWTExpired) {
    return new JwtRejectedError("the token has expired: get a new one from the identity provider", "TOKEN_EXPIRED", { cause: err });
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new JwtRejectedError(`the token's "${err.claim}" claim is not accepted here (${err.reason})`, "TOKEN_INVALID", { cause: err });
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new JwtRejectedError("the token's signature does not verify with the identity provider's keys", "TOKEN_INVALID", { cause: err });
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new JwtRejectedError("the token is signed with an algorithm that is not accepted here", "TOKEN_INVALID", { cause: err });
  }
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
    // The keys could not be fetched: the provider's problem, not the token's.
    return new JwtRejectedError("the identity provider's keys (JWKS) cannot be fetched now; retry shortly", "TOKEN_KEYS_UNAVAILABLE", { cause: err });
  }
  return new JwtRejectedError("the token is not a valid JWT", "TOKEN_INVALID", { cause: err });
}
