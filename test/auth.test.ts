import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from "jose";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentServiceError, Code, RunStatus, createAgentClient, type AgentClient } from "../client/index.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Authentication and authorization through the real server: API keys from a
// file of digests, JWTs verified against a JWKS server of the test's own,
// roles, and who sees whose runs.

const issuer = "https://id.example.test";
const audience = "agent-service";

const newKey = () => randomBytes(24).toString("base64url");
const digest = (key: string) => createHash("sha256").update(key).digest("hex");

const keys = { orders: newKey(), billing: newKey(), ops: newKey() };
const keysFile = (entries: { principal: string; roles: string[]; key: string }[]) =>
  JSON.stringify(entries.map(({ key, ...entry }) => ({ ...entry, sha256: digest(key) })));

let dir: string;
let jwks: Server;
let signing: Awaited<ReturnType<typeof generateKeyPair>>;
let svc: TestService;
const clients: AgentClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-auth-"));
  await writeFile(
    join(dir, "keys.json"),
    keysFile([
      { principal: "svc-orders", roles: ["caller"], key: keys.orders },
      { principal: "svc-billing", roles: ["caller"], key: keys.billing },
      { principal: "ops", roles: ["admin"], key: keys.ops },
    ]),
  );
  signing = await generateKeyPair("RS256");
  const jwk: JWK = { ...(await exportJWK(signing.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  jwks = createServer((_, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
  });
  jwks.listen(0, "127.0.0.1");
  await once(jwks, "listening");
  svc = await startTestService({
    AGENT_API_KEYS_FILE: join(dir, "keys.json"),
    AGENT_JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
    AGENT_JWT_ISSUER: issuer,
    AGENT_JWT_AUDIENCE: audience,
  });
});

afterAll(async () => {
  clients.splice(0).forEach((client) => client.close());
  await svc.close();
  jwks.close();
  await rm(dir, { recursive: true, force: true });
});

function client(token?: string | (() => string)): AgentClient {
  const made = createAgentClient({ baseUrl: svc.url, protocol: "grpc", timeoutMs: 20_000, retries: 0, ...(token === undefined ? {} : { token }) });
  clients.push(made);
  return made;
}

async function failure(call: Promise<unknown>): Promise<AgentServiceError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentServiceError);
  return err as AgentServiceError;
}

function jwt(claims: Record<string, unknown> = {}, options: { key?: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"]; expiresIn?: string; aud?: string } = {}): Promise<string> {
  return new SignJWT({ roles: ["caller"], ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setSubject("user-ada")
    .setIssuer(issuer)
    .setAudience(options.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "5m")
    .sign(options.key ?? signing.privateKey);
}

describe("authentication", () => {
  it("is UNAUTHENTICATED without credentials, saying what to send", async () => {
    const err = await failure(client().execute("What is 2 + 2?"));
    expect([err.code, err.reason]).toEqual([Code.Unauthenticated, "CREDENTIALS_MISSING"]);
    expect(err.rawMessage).toContain("Authorization: Bearer");
  });

  it("is UNAUTHENTICATED for an unknown key, which appears in no log line", async () => {
    const wrong = newKey();
    const err = await failure(client(wrong).execute("What is 2 + 2?"));
    expect([err.code, err.reason]).toEqual([Code.Unauthenticated, "CREDENTIALS_INVALID"]);
    expect(svc.rawLogs.join("\n")).not.toContain(wrong);
    expect(svc.rawLogs.join("\n")).not.toContain(keys.orders);
  });

  it("leaves the health checks open", async () => {
    expect((await client().health()).version).not.toBe("");
    const health = createClient(Health, createGrpcTransport({ baseUrl: svc.url }));
    expect((await health.check({ service: "" })).status).toBeGreaterThan(0);
  });

  it("runs a key's principal, which the run records", async () => {
    const answer = await client(keys.orders).execute("What is 17 * 23?");
    expect(answer.output).toContain("391");
    expect((await client(keys.orders).getRun(answer.runId)).run?.principal).toBe("svc-orders");
  });

  it("accepts a valid JWT from the identity provider's JWKS, as the principal its sub names", async () => {
    const token = await jwt();
    const answer = await client(() => token).execute("What is 2 + 2?");
    expect((await client(token).getRun(answer.runId)).run?.principal).toBe("user-ada");
  });

  it.each([
    { what: "an expired JWT", make: () => jwt({}, { expiresIn: "-10m" }), reason: "TOKEN_EXPIRED" },
    { what: "a JWT for another audience", make: () => jwt({}, { aud: "another-service" }), reason: "TOKEN_INVALID" },
    {
      what: "a JWT signed with another key",
      make: async () => jwt({}, { key: (await generateKeyPair("RS256")).privateKey }),
      reason: "TOKEN_INVALID",
    },
  ])("refuses $what: UNAUTHENTICATED ($reason)", async ({ make, reason }) => {
    const token = await make();
    const err = await failure(client(token).execute("What is 2 + 2?"));
    expect([err.code, err.reason]).toEqual([Code.Unauthenticated, reason]);
  });
});

describe("authorization", () => {
  it("shows a caller only its own runs: another principal's is NOT_FOUND, as if it did not exist", async () => {
    const orders = client(keys.orders);
    const billing = client(keys.billing);
    const { runId } = await orders.execute("What is 17 * 23?");
    for (const call of [
      billing.getRun(runId),
      billing.cancelRun(runId),
      (async () => {
        for await (const _ of billing.watchRun(runId)) {
          // Never reached.
        }
      })(),
    ]) {
      const err = await failure(call);
      expect([err.code, err.reason]).toEqual([Code.NotFound, "RUN_NOT_FOUND"]);
    }
    const listed = await billing.listRuns();
    expect(listed.runs.map((run) => run.principal).every((p) => p === "svc-billing")).toBe(true);
    expect(listed.runs.map((run) => run.runId)).not.toContain(runId);
  });

  it("is PERMISSION_DENIED for a caller listing another principal's runs, which an admin may", async () => {
    const err = await failure(client(keys.billing).listRuns({ principal: "svc-orders" }));
    expect([err.code, err.reason]).toEqual([Code.PermissionDenied, "ROLE_REQUIRED"]);
    expect(err.rawMessage).toContain('"admin"');
    const { runId } = await client(keys.orders).execute("What is 2 + 2?");
    const admin = client(keys.ops);
    expect((await admin.listRuns({ principal: "svc-orders" })).runs.map((run) => run.runId)).toContain(runId);
    expect((await admin.getRun(runId)).run?.status).toBe(RunStatus.COMPLETED);
  });

  it("tells the SDK who its key is (getCaller), and its listRuns passes the viewer's filters", async () => {
    expect(await client(keys.billing).getCaller()).toMatchObject({ principal: "svc-billing", roles: ["caller"] });
    expect((await client(keys.ops).getCaller()).roles).toEqual(["caller", "admin"]);
    const orders = client(keys.orders);
    const { runId } = await orders.execute("What is 6 * 7? (filters)");
    const found = await orders.listRuns({ inputContains: "6 * 7? (FILTERS", model: "sim-small", prompt: "default", status: RunStatus.COMPLETED });
    expect(found.runs.map((run) => run.runId)).toEqual([runId]);
    expect((await orders.listRuns({ inputContains: "6 * 7? (filters)", model: "no-such-model" })).runs).toEqual([]);
  });

  it("rereads the keys file on reload: the old key stops, the new one works, a run in flight finishes", async () => {
    const rotated = newKey();
    const orders = client(keys.orders);
    // A run in flight across the rotation.
    const inFlight = orders.stream("#words 300", { bypassCache: true })[Symbol.asyncIterator]();
    expect((await inFlight.next()).value?.event.case).toBe("runStarted");
    await writeFile(
      join(dir, "keys.json"),
      keysFile([
        { principal: "svc-orders", roles: ["caller"], key: rotated },
        { principal: "svc-billing", roles: ["caller"], key: keys.billing },
        { principal: "ops", roles: ["admin"], key: keys.ops },
      ]),
    );
    await svc.service.reload();
    const err = await failure(client(keys.orders).execute("What is 2 + 2?"));
    expect(err.code).toBe(Code.Unauthenticated);
    expect((await client(rotated).execute("What is 2 + 2?")).output).toContain("4");
    let last;
    for (let next = await inFlight.next(); next.done !== true; next = await inFlight.next()) {
      last = next.value;
    }
    expect(last?.event.case).toBe("runCompleted");
    keys.orders = rotated;
  });

  it("keeps the keys in force when the file turns bad on reload, and says why", async () => {
    await writeFile(join(dir, "keys.json"), "[{ not json");
    await svc.service.reload();
    expect(svc.logs.some((line) => String(line["msg"]).includes("the API keys file cannot be used"))).toBe(true);
    expect((await client(keys.billing).execute("What is 2 + 2?")).output).toContain("4");
  });
});

describe("a static JWT key given as AGENT_JWT_PUBLIC_KEY_FILE", () => {
  it("is reread on reload: the old key's tokens stop, the new key's work; a key that does not import leaves the new one", async () => {
    const [first, second] = await Promise.all([generateKeyPair("RS256"), generateKeyPair("RS256")]);
    const keyFile = join(dir, "jwt-public-key.pem");
    await writeFile(keyFile, `${await exportSPKI(first.publicKey)}\n`);
    const own = await startTestService({ AGENT_JWT_PUBLIC_KEY_FILE: keyFile, AGENT_JWT_ISSUER: issuer, AGENT_JWT_AUDIENCE: audience, AGENT_JWT_ALGORITHMS: "RS256" });
    const as = (token: string) => {
      const made = createAgentClient({ baseUrl: own.url, protocol: "grpc", timeoutMs: 20_000, retries: 0, token });
      clients.push(made);
      return made;
    };
    try {
      const old = await jwt({}, { key: first.privateKey });
      expect((await as(old).execute("What is 2 + 2?")).output).toContain("4");

      await writeFile(keyFile, `${await exportSPKI(second.publicKey)}\n`);
      await own.service.reload();
      const refused = await failure(as(old).execute("What is 2 + 2?"));
      expect([refused.code, refused.reason]).toEqual([Code.Unauthenticated, "TOKEN_INVALID"]);
      const rotated = await jwt({}, { key: second.privateKey });
      expect((await as(rotated).execute("What is 2 + 2?")).output).toContain("4");

      const garbage = `-----BEGIN PUBLIC KEY-----\n${randomBytes(48).toString("base64")}\n-----END PUBLIC KEY-----`;
      await writeFile(keyFile, garbage);
      await own.service.reload();
      expect(own.logs.find((line) => line["setting"] === "AGENT_JWT_PUBLIC_KEY" && line["level"] === "error")?.["reason"]).toBe(
        "cannot be used as a RS256 public key (PEM SPKI, or a JWKS document)",
      );
      expect((await as(rotated).execute("What is 2 + 2?")).output).toContain("4");
      expect(own.rawLogs.join("\n")).not.toContain(garbage.split("\n")[1]);
    } finally {
      await own.close();
    }
  });
});
