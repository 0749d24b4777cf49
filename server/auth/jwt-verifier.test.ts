import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createJwtVerifier, JwtKeyError, JwtRejectedError, type JwtSettings } from "./jwt-verifier.js";

// A static key rotated while the service runs (AGENT_JWT_PUBLIC_KEY reread on SIGHUP): tokens
// verified after the rotation need the new key; a key that cannot be used leaves the old one.

const issuer = "https://id.example.test";
const audience = "agent-service";

function settings(overrides: Partial<JwtSettings>): JwtSettings {
  return {
    jwksUrl: undefined,
    publicKey: undefined,
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

function token(key: CryptoKey): Promise<string> {
  return new SignJWT({ roles: ["caller"] })
    .setProtectedHeader({ alg: "RS256" })
    .setSubject("user-ada")
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
}

let before: Awaited<ReturnType<typeof generateKeyPair>>;
let after: Awaited<ReturnType<typeof generateKeyPair>>;
beforeAll(async () => {
  [before, after] = await Promise.all([generateKeyPair("RS256"), generateKeyPair("RS256")]);
});

describe("JwtVerifier.replaceKey", () => {
  it("verifies the tokens after it with the new key only", async () => {
    const verifier = await createJwtVerifier(settings({ publicKey: await exportSPKI(before.publicKey) }));
    const old = await token(before.privateKey);
    expect((await verifier.verify(old)).id).toBe("user-ada");

    await verifier.replaceKey(await exportSPKI(after.publicKey));

    expect((await verifier.verify(await token(after.privateKey))).id).toBe("user-ada");
    await expect(verifier.verify(old)).rejects.toMatchObject({ reason: "TOKEN_INVALID" });
    await expect(verifier.verify(old)).rejects.toBeInstanceOf(JwtRejectedError);
  });

  it("takes a JWKS document, as at start-up", async () => {
    const verifier = await createJwtVerifier(settings({ publicKey: await exportSPKI(before.publicKey) }));
    await verifier.replaceKey(JSON.stringify({ keys: [{ ...(await exportJWK(after.publicKey)), alg: "RS256" }] }));
    expect((await verifier.verify(await token(after.privateKey))).id).toBe("user-ada");
  });

  it.each([
    { what: "a PEM that is not a public key", publicKey: "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----" },
    { what: "a JWKS document that does not parse", publicKey: '{"keys": [ planted-secret-text' },
  ])("keeps the key in force for $what, saying why without quoting it", async ({ publicKey }) => {
    const verifier = await createJwtVerifier(settings({ publicKey: await exportSPKI(before.publicKey) }));
    const refused = await verifier.replaceKey(publicKey).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(JwtKeyError);
    expect((refused as Error).message).toBe("cannot be used as a RS256 public key (PEM SPKI, or a JWKS document)");
    expect((refused as Error).message).not.toContain("planted");
    expect((await verifier.verify(await token(before.privateKey))).id).toBe("user-ada");
  });

  it("is refused when the keys come from a JWKS URL", async () => {
    const verifier = await createJwtVerifier(settings({ jwksUrl: "http://127.0.0.1:9/jwks.json" }));
    await expect(verifier.replaceKey(await exportSPKI(after.publicKey))).rejects.toBeInstanceOf(JwtKeyError);
  });
});
