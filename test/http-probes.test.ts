import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The HTTP probes through the real server: liveness, and readiness that
// follows the store's reachability and the shutdown.

/** `url` with its host and port replaced by the proxy's on loopback. */
function viaProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(port);
  return parsed.href;
}

async function probe(svc: TestService, path: string, method = "GET"): Promise<{ status: number; body: string }> {
  const res = await fetch(`${svc.url}${path}`, { method });
  return { status: res.status, body: await res.text() };
}

describe("HTTP probes", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let svc: TestService;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase("agent_probes");
    proxy = await startTcpProxy({ host: db.host, port: db.port });
    dir = await mkdtemp(join(tmpdir(), "agent-probes-"));
    // With API keys configured, every RPC needs one; the probes need none.
    const keysFile = join(dir, "keys.json");
    await writeFile(keysFile, JSON.stringify([{ principal: "svc", roles: ["caller"], sha256: createHash("sha256").update("a-key-nobody-sends").digest("hex") }]));
    svc = await startTestService({ DATABASE_URL: viaProxy(db.url, proxy.port), AGENT_API_KEYS_FILE: keysFile });
  });
  afterAll(async () => {
    proxy.restore();
    await svc.close();
    await proxy.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers /healthz and /readyz with 200 and no credentials, to GET and HEAD", async () => {
    expect(await probe(svc, "/healthz")).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(await probe(svc, "/readyz")).toEqual({ status: 200, body: '{"status":"ready"}' });
    expect(await probe(svc, "/readyz", "HEAD")).toEqual({ status: 200, body: "" });
    // Only GET and HEAD are probes; anything else is an unknown route.
    expect((await probe(svc, "/readyz", "POST")).status).toBe(404);
  });

  it("is not ready, saying why, while the store cannot be reached, and ready again once it can; alive throughout", async () => {
    proxy.cut();
    try {
      const cut = await probe(svc, "/readyz");
      expect(cut.status).toBe(503);
      expect(JSON.parse(cut.body)).toMatchObject({ status: "not ready", reasons: [expect.stringContaining("store")] });
      expect((await probe(svc, "/healthz")).status).toBe(200);
    } finally {
      proxy.restore();
    }
    await expect.poll(async () => (await probe(svc, "/readyz")).status, { timeout: 10_000 }).toBe(200);
  });

  it("is not ready once the shutdown has begun", async () => {
    const stopped = svc.service.shutdown(2_000);
    // Answered while in-flight RPCs drain; a probe that finds the port closed is not ready either.
    const during = await probe(svc, "/readyz").catch(() => ({ status: 503, body: "" }));
    expect(during.status).toBe(503);
    await stopped;
  });
});
