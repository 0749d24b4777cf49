import { Code, ConnectError } from "@connectrpc/connect";
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { createHash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { parseApiKeys, type ApiKeys } from "./api-keys.js";
import { createAuthenticator, type Authenticator } from "./authenticator.js";
import { createJwtVerifier, type JwtSettings, type JwtVerifier } from "./jwt-verifier.js";
import { devPrincipal } from "./principal.js";

// Who is calling, from the Authorization header: the dev principal when no
// credentials are configured; otherwise an API key or a JWT, and every
// refusal a ConnectError whose ErrorDetail says why.

const issuer = "https://id.example.test";
const audience = "agent-service";

const newKey = () => randomBytes(24).toString("base64url");
const digest = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");
const ordersKey = newKey();
const opsKey = newKey();

const keyTable = (entries: { principal: string; roles: string[]; key: string }[]): ApiKeys =>
  parseApiKeys(JSON.stringify(entries.map(({ key, ...entry }) => ({ ...entry, sha256: digest(key) }))), "keys.json");

const apiKeys = keyTable([
  { principal: "svc-orders", roles: ["caller"], key: ordersKey },
  { principal: "ops", roles: ["admin"], key: opsKey },
]);

/** JWT settings for a static public key; `overrides` changes one knob. */
function settings(publicKey: string, overrides: Partial<JwtSettings> = {}): JwtSettings {
  return {
    jwksUrl: undefined,
    publicKey,
    algorithms: ["RS256"],
    issuer,
    audience,
    principalClaim: "sub",
    rolesClaim: "roles",
    defaultRoles: ["caller"],
    clockSkewS: 30,
    jwksTimeoutMs: 2_000,
    ...overrides,
  };
}

/** The ConnectError `authenticate` rejected with, and its ErrorDetail's reason. */
async function refusal(auth: Authenticator, authorization: string | null): Promise<{ code: Code; reason: string | undefined; error: ConnectError }> {
  const err = await auth.authenticate(authorization).then(
    (principal) => {
      throw new Error(`authenticated as ${JSON.stringify(principal)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const error = err as ConnectError;
  return { code: error.code, reason: error.findDetails(ErrorDetailSchema)[0]?.reason, error };
}

const nowS = () => Math.floor(Date.now() / 1000);

describe("without API keys or JWT (dev mode)", () => {
  const auth = createAuthenticator({ apiKeys: undefined, jwt: undefined });

  it("says it is in dev mode", () => {
    expect(auth.mode).toBe("dev");
  });

  it.each([null, "", "Bearer whatever", "Basic abc", `Bearer ${ordersKey}`])("makes every caller the dev principal (Authorization: %j)", async (header) => {
    expect(await auth.authenticate(header)).toBe(devPrincipal);
  });
});

describe("with API keys", () => {
  const auth = createAuthenticator({ apiKeys: () => apiKeys, jwt: undefined });

  it("is in authenticated mode", () => {
    expect(auth.mode).toBe("authenticated");
  });

  it("gives the principal of a known key", async () => {
    expect(await auth.authenticate(`Bearer ${ordersKey}`)).toEqual({ id: "svc-orders", roles: ["caller"], via: "api-key" });
    expect((await auth.authenticate(`Bearer ${opsKey}`)).id).toBe("ops");
  });

  it.each([null, "", "   "])("is UNAUTHENTICATED (CREDENTIALS_MISSING) without credentials (Authorization: %j), saying what to send", async (header) => {
    const { code, reason, error } = await refusal(auth, header);
    expect([code, reason]).toEqual([Code.Unauthenticated, "CREDENTIALS_MISSING"]);
    expect(error.rawMessage).toContain('"Authorization: Bearer <an API key>"');
  });

  it.each(["Basic abc", "Bearer", "Bearer ", `Token ${ordersKey}`, `Bearer ${ordersKey} extra`, `Bearer\t${ordersKey}`, `Bearer${ordersKey}`])(
    "is UNAUTHENTICATED (CREDENTIALS_MALFORMED) for a header that is not a bearer token: %j",
    async (header) => {
      const { code, reason } = await refusal(auth, header);
      expect([code, reason]).toEqual([Code.Unauthenticated, "CREDENTIALS_MALFORMED"]);
    },
  );

  it("is UNAUTHENTICATED (CREDENTIALS_INVALID) for an unknown key, and never repeats the key", async () => {
    const wrong = newKey();
    const { code, reason, error } = await refusal(auth, `Bearer ${wrong}`);
    expect([code, reason]).toEqual([Code.Unauthenticated, "CREDENTIALS_INVALID"]);
    expect(error.message).not.toContain(wrong);
  });

  it.each([`bearer ${ordersKey}`, `BEARER ${ordersKey}`, `Bearer ${ordersKey}   `, `Bearer    ${ordersKey}`])(
    "accepts any case of the scheme and extra spaces: %j",
    async (header) => {
      expect((await auth.authenticate(header)).id).toBe("svc-orders");
    },
  );

  it("asks for the key table on every call, so a reloaded file takes effect at once", async () => {
    let table = apiKeys;
    const reloading = createAuthenticator({ apiKeys: () => table, jwt: undefined });
    expect((await reloading.authenticate(`Bearer ${ordersKey}`)).id).toBe("svc-orders");
    // The orders key is revoked, and a new one issued.
    const replacement = newKey();
    table = keyTable([{ principal: "svc-orders", roles: ["caller"], key: replacement }]);
    expect((await refusal(reloading, `Bearer ${ordersKey}`)).reason).toBe("CREDENTIALS_INVALID");
    expect((await reloading.authenticate(`Bearer ${replacement}`)).id).toBe("svc-orders");
  });
});

describe("with a JWT verifier", () => {
  let signing: Awaited<ReturnType<typeof generateKeyPair>>;
  let publicKey: string;
  let verifier: JwtVerifier;
  let auth: Authenticator;

  beforeAll(async () => {
    signing = await generateKeyPair("RS256");
    publicKey = await exportSPKI(signing.publicKey);
    verifier = await createJwtVerifier(settings(publicKey));
    auth = createAuthenticator({ apiKeys: undefined, jwt: verifier });
  });

  /** A token with the usual claims (sub user-ada, roles [caller], valid 5 min); `change` edits it before signing. */
  function token(change: (jwt: SignJWT) => SignJWT = (jwt) => jwt, claims: Record<string, unknown> = { roles: ["caller"] }, key: CryptoKey = signing.privateKey): Promise<string> {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).setSubject("user-ada").setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime("5m");
    return change(jwt).sign(key);
  }

  it("gives the principal its sub names, with the roles of its roles claim", async () => {
    expect(await auth.authenticate(`Bearer ${await token()}`)).toEqual({ id: "user-ada", roles: ["caller"], via: "jwt" });
    expect((await auth.authenticate(`Bearer ${await token(undefined, { roles: ["admin", "caller"] })}`)).roles).toEqual(["admin", "caller"]);
  });

  it("reads a roles claim given as a space-separated string, as OAuth's scope", async () => {
    expect((await auth.authenticate(`Bearer ${await token(undefined, { roles: "caller admin" })}`)).roles).toEqual(["caller", "admin"]);
  });

  it("drops roles it does not know, granting none of them", async () => {
    expect((await auth.authenticate(`Bearer ${await token(undefined, { roles: ["root", "caller", "superuser"] })}`)).roles).toEqual(["caller"]);
    expect((await auth.authenticate(`Bearer ${await token(undefined, { roles: "root superuser" })}`)).roles).toEqual([]);
  });

  it("gives a token without the roles claim the default roles", async () => {
    const admins = createAuthenticator({ apiKeys: undefined, jwt: await createJwtVerifier(settings(publicKey, { defaultRoles: ["admin"] })) });
    expect((await admins.authenticate(`Bearer ${await token(undefined, {})}`)).roles).toEqual(["admin"]);
    expect((await auth.authenticate(`Bearer ${await token(undefined, {})}`)).roles).toEqual(["caller"]);
  });

  it("reads the principal from the configured claim", async () => {
    const byEmail = createAuthenticator({ apiKeys: undefined, jwt: await createJwtVerifier(settings(publicKey, { principalClaim: "email" })) });
    expect((await byEmail.authenticate(`Bearer ${await token(undefined, { email: "ada@example.test" })}`)).id).toBe("ada@example.test");
  });

  it("refuses a token without exp (TOKEN_INVALID)", async () => {
    const unbounded = await new SignJWT({ roles: ["caller"] }).setProtectedHeader({ alg: "RS256" }).setSubject("user-ada").setIssuer(issuer).setAudience(audience).setIssuedAt().sign(signing.privateKey);
    const { code, reason, error } = await refusal(auth, `Bearer ${unbounded}`);
    expect([code, reason]).toEqual([Code.Unauthenticated, "TOKEN_INVALID"]);
    expect(error.rawMessage).toContain('"exp"');
  });

  it("refuses an expired token (TOKEN_EXPIRED)", async () => {
    const expired = await token((jwt) => jwt.setIssuedAt(nowS() - 600).setExpirationTime(nowS() - 120));
    expect(await refusal(auth, `Bearer ${expired}`)).toMatchObject({ code: Code.Unauthenticated, reason: "TOKEN_EXPIRED" });
  });

  it("tolerates the configured clock skew, and no more", async () => {
    const justExpired = await token((jwt) => jwt.setIssuedAt(nowS() - 600).setExpirationTime(nowS() - 10));
    // 10 s past exp is within 30 s of skew...
    expect((await auth.authenticate(`Bearer ${justExpired}`)).id).toBe("user-ada");
    // ...but not within none.
    const strict = createAuthenticator({ apiKeys: undefined, jwt: await createJwtVerifier(settings(publicKey, { clockSkewS: 0 })) });
    expect((await refusal(strict, `Bearer ${justExpired}`)).reason).toBe("TOKEN_EXPIRED");
    // And 60 s past exp is beyond 30 s.
    const longExpired = await token((jwt) => jwt.setIssuedAt(nowS() - 600).setExpirationTime(nowS() - 60));
    expect((await refusal(auth, `Bearer ${longExpired}`)).reason).toBe("TOKEN_EXPIRED");
  });

  it.each([
    { what: "another issuer", change: (jwt: SignJWT) => jwt.setIssuer("https://evil.example.test") },
    { what: "another audience", change: (jwt: SignJWT) => jwt.setAudience("another-service") },
    { what: "a nbf in the future", change: (jwt: SignJWT) => jwt.setNotBefore(nowS() + 600) },
  ])("refuses a token with $what (TOKEN_INVALID)", async ({ change }) => {
    expect(await refusal(auth, `Bearer ${await token(change)}`)).toMatchObject({ code: Code.Unauthenticated, reason: "TOKEN_INVALID" });
  });

  it("refuses a token without the principal claim (TOKEN_INVALID)", async () => {
    const anonymous = await new SignJWT({ roles: ["caller"] }).setProtectedHeader({ alg: "RS256" }).setIssuer(issuer).setAudience(audience).setExpirationTime("5m").sign(signing.privateKey);
    const { code, reason, error } = await refusal(auth, `Bearer ${anonymous}`);
    expect([code, reason]).toEqual([Code.Unauthenticated, "TOKEN_INVALID"]);
    expect(error.rawMessage).toContain('"sub"');
  });

  it("refuses a principal claim that is not a printable name (TOKEN_INVALID)", async () => {
    for (const sub of ["user ada", "", "x".repeat(129)]) {
      const odd = await token((jwt) => jwt.setSubject(sub));
      expect((await refusal(auth, `Bearer ${odd}`)).reason).toBe("TOKEN_INVALID");
    }
  });

  it("refuses an HS256 token signed with a shared secret: the algorithm is not allowed (TOKEN_INVALID)", async () => {
    const secret = new TextEncoder().encode("a shared secret that is long enough for HS256!");
    const hs256 = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("user-ada")
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime("5m")
      .sign(secret);
    const { code, reason, error } = await refusal(auth, `Bearer ${hs256}`);
    expect([code, reason]).toEqual([Code.Unauthenticated, "TOKEN_INVALID"]);
    expect(error.rawMessage).toContain("algorithm");
  });

  it("refuses a token signed with another key (TOKEN_INVALID)", async () => {
    const other = await generateKeyPair("RS256");
    expect((await refusal(auth, `Bearer ${await token(undefined, undefined, other.privateKey)}`)).reason).toBe("TOKEN_INVALID");
  });

  it("refuses a token whose payload was edited after signing (TOKEN_INVALID)", async () => {
    const [header, , signature] = (await token()).split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "ops", roles: ["admin"], iss: issuer, aud: audience, exp: nowS() + 300 })).toString("base64url");
    expect((await refusal(auth, `Bearer ${header}.${forged}.${signature}`)).reason).toBe("TOKEN_INVALID");
  });

  it("refuses a bearer token that is not a JWT when only JWTs are accepted (CREDENTIALS_INVALID)", async () => {
    const { code, reason, error } = await refusal(auth, `Bearer ${ordersKey}`);
    expect([code, reason]).toEqual([Code.Unauthenticated, "CREDENTIALS_INVALID"]);
    expect(error.rawMessage).toContain("accepts only JWTs");
  });

  it("with API keys as well, takes either, and never looks up a JWT as a key", async () => {
    let lookups = 0;
    const both = createAuthenticator({
      apiKeys: () => {
        lookups++;
        return apiKeys;
      },
      jwt: verifier,
    });
    expect((await both.authenticate(`Bearer ${ordersKey}`)).via).toBe("api-key");
    expect(lookups).toBe(1);
    expect((await both.authenticate(`Bearer ${await token()}`)).via).toBe("jwt");
    const expired = await token((jwt) => jwt.setIssuedAt(nowS() - 600).setExpirationTime(nowS() - 120));
    expect((await refusal(both, `Bearer ${expired}`)).reason).toBe("TOKEN_EXPIRED");
    expect(lookups).toBe(1);
  });

  it("is UNAVAILABLE (TOKEN_KEYS_UNAVAILABLE) when the JWKS cannot be fetched, with a retry hint", async () => {
    const unreachable = createAuthenticator({
      apiKeys: undefined,
      jwt: await createJwtVerifier(settings(publicKey, { publicKey: undefined, jwksUrl: "http://127.0.0.1:1/jwks.json" })),
    });
    const { code, reason, error } = await refusal(unreachable, `Bearer ${await token()}`);
    expect([code, reason]).toEqual([Code.Unavailable, "TOKEN_KEYS_UNAVAILABLE"]);
    expect(error.findDetails(ErrorDetailSchema)[0]?.retryAfter?.seconds).toBe(1n);
  });
});
