import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withViewer, type ViewerOptions } from "./viewer-route.js";

/** What a raw HTTP/1.1 request got back; the path is sent exactly as given (no client normalises it). */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body, decoded when it came compressed. */
  readonly body: string;
  /** Bytes on the wire. */
  readonly bytes: number;
}

function send(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        const encoding = res.headers["content-encoding"];
        const decoded = encoding === "br" ? brotliDecompressSync(body) : encoding === "gzip" ? gunzipSync(body) : body;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: decoded.toString("utf8"), bytes: body.byteLength });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const indexHtml = '<!doctype html><html><head><script type="module" src="/ui/assets/viewer-abc123.js"></script></head><body></body></html>';
const script = "console.log('viewer');";
const style = "body { margin: 0 }";
/** A script large enough to be worth compressing, as a real build's is. */
const bundle = Array.from({ length: 400 }, (_, i) => `export const label${i} = "run ${i}";`).join("\n");

/** A server whose only route after the viewer is a marker, so a test sees what the viewer left to `next`. */
async function serve(options: ViewerOptions): Promise<{ port: number; server: Server }> {
  const server = createServer(
    withViewer(options, (req, res) => {
      req.resume();
      res.writeHead(404, { "content-type": "text/plain", "x-next": "yes" });
      res.end("next handler");
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe("the viewer's HTTP routes", () => {
  let root: string;
  let dir: string;
  let port: number;
  let server: Server;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "viewer-route-"));
    dir = join(root, "ui");
    mkdirSync(join(dir, "assets"), { recursive: true });
    writeFileSync(join(dir, "index.html"), indexHtml);
    writeFileSync(join(dir, "assets", "viewer-abc123.js"), script);
    writeFileSync(join(dir, "assets", "viewer-abc123.css"), style);
    writeFileSync(join(dir, "assets", "viewer-big.js"), bundle);
    mkdirSync(join(dir, "assets", "nested"));
    // A file beside the build that no path may reach.
    writeFileSync(join(root, "secret.txt"), "not for the browser");
    ({ port, server } = await serve({ assetsDir: dir, auth: "bearer", jaegerUrl: "http://localhost:16686", version: "1.2.3" }));
  });
  afterAll(async () => {
    await close(server);
    rmSync(root, { recursive: true, force: true });
  });

  it("redirects /ui to /ui/, keeping the query", async () => {
    expect(await send(port, "GET", "/ui")).toMatchObject({ status: 301, headers: { location: "/ui/" } });
    expect((await send(port, "GET", "/ui?token=x")).headers["location"]).toBe("/ui/?token=x");
  });

  it("says how to authenticate, where Jaeger is and the version, never cached", async () => {
    const answer = await send(port, "GET", "/ui/config.json");
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(answer.body)).toEqual({ auth: "bearer", jaegerUrl: "http://localhost:16686", version: "1.2.3" });
  });

  it.each([
    { path: "/ui/assets/viewer-abc123.js", type: "text/javascript; charset=utf-8", body: script },
    { path: "/ui/assets/viewer-abc123.css", type: "text/css; charset=utf-8", body: style },
  ])("serves $path with its content type, cached for good", async ({ path, type, body }) => {
    const answer = await send(port, "GET", path);
    expect(answer).toMatchObject({ status: 200, body });
    expect(answer.headers["content-type"]).toBe(type);
    expect(answer.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(answer.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it.each([
    { accept: "gzip, deflate, br", encoding: "br" },
    { accept: "gzip", encoding: "gzip" },
    { accept: "br;q=0, gzip;q=0.5", encoding: "gzip" },
  ])("compresses a large file for a client that accepts $accept, as $encoding", async ({ accept, encoding }) => {
    const answer = await send(port, "GET", "/ui/assets/viewer-big.js", { "accept-encoding": accept });
    expect(answer).toMatchObject({ status: 200, body: bundle });
    expect(answer.headers["content-encoding"]).toBe(encoding);
    expect(answer.headers["vary"]).toBe("accept-encoding");
    expect(answer.bytes).toBeLessThan(Buffer.byteLength(bundle) / 4);
    expect(answer.headers["content-length"]).toBe(String(answer.bytes));
  });

  it.each([
    { path: "/ui/assets/viewer-big.js", accept: "identity" },
    { path: "/ui/assets/viewer-big.js", accept: "br;q=0" },
    { path: "/ui/assets/viewer-abc123.css", accept: "br, gzip" },
  ])("sends $path as it is for accept-encoding $accept (or a file too small to gain)", async ({ path, accept }) => {
    const answer = await send(port, "GET", path, { "accept-encoding": accept });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-encoding"]).toBeUndefined();
    expect(answer.headers["vary"]).toBe("accept-encoding");
  });

  it.each(["/ui/", "/ui/runs/3f2a9c1e-0b7d-4c55-9e61-2d7f1a8b9c0d", "/ui/service", "/ui/runs/", "/ui/?status=failed"])(
    "answers the app's own route %s with index.html, revalidated each time",
    async (path) => {
      const answer = await send(port, "GET", path);
      expect(answer).toMatchObject({ status: 200, body: indexHtml });
      expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(answer.headers["cache-control"]).toBe("no-cache");
    },
  );

  it.each(["/ui/assets/viewer-missing.js", "/ui/assets/", "/ui/assets/nested", "/ui/favicon.ico", "/ui/runs/report.pdf", "/ui/index.html.bak"])(
    "answers 404 for %s, which names no file of the build",
    async (path) => {
      const answer = await send(port, "GET", path);
      expect(answer.status).toBe(404);
      expect(answer.headers["x-next"]).toBeUndefined();
    },
  );

  it.each([
    "/ui/assets/../../secret.txt",
    "/ui/assets/../index.html",
    "/ui/assets/%2e%2e/%2e%2e/secret.txt",
    "/ui/assets/%2E%2E%2F%2E%2E%2Fsecret.txt",
    "/ui/assets/..%2f..%2fsecret.txt",
    "/ui/assets/..%5c..%5csecret.txt",
    "/ui/assets/.%2e/.%2e/secret.txt",
    "/ui/assets/viewer-abc123.js%00.png",
    "/ui/assets//etc/passwd",
    "/ui/assets/%zz",
    "/ui/assets/../../../../../../etc/passwd",
  ])("refuses the traversal %s", async (path) => {
    const answer = await send(port, "GET", path);
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain("not for the browser");
    expect(answer.body).not.toContain("root:");
    expect(answer.body).not.toContain("<!doctype html>");
  });

  it.each(["/ui", "/ui/", "/ui/config.json", "/ui/assets/viewer-abc123.js", "/ui/assets/none.js", "/ui/runs/x"])(
    "sends the security headers on %s",
    async (path) => {
      const { headers } = await send(port, "GET", path);
      expect(headers["content-security-policy"]).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
      expect(headers["x-content-type-options"]).toBe("nosniff");
      expect(headers["referrer-policy"]).toBe("no-referrer");
    },
  );

  it.each(["/ui/", "/ui/assets/viewer-abc123.js", "/ui/config.json"])("answers HEAD %s like GET, without a body", async (path) => {
    const [get, head] = [await send(port, "GET", path), await send(port, "HEAD", path)];
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(head.headers["content-type"]).toBe(get.headers["content-type"]);
    expect(head.headers["content-length"]).toBe(get.headers["content-length"]);
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])("answers %s with 405 and what is allowed", async (method) => {
    const answer = await send(port, method, "/ui/runs/x");
    expect(answer.status).toBe(405);
    expect(answer.headers["allow"]).toBe("GET, HEAD");
  });

  it.each(["/healthz", "/agent.v1.RunService/ListRuns", "/uix", "/ui-assets/viewer-abc123.js", "/"])("leaves %s to the next handler", async (path) => {
    const answer = await send(port, "GET", path);
    expect(answer.headers["x-next"]).toBe("yes");
    expect(answer.body).toBe("next handler");
  });
});

describe("the viewer's HTTP routes, configured otherwise", () => {
  const servers: Server[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(servers.map(close));
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });
  async function started(options: ViewerOptions): Promise<number> {
    const { port, server } = await serve(options);
    servers.push(server);
    return port;
  }

  it("leaves /ui/ to the next handler when off (AGENT_UI=off), as any unknown path", async () => {
    const port = await started({ enabled: false, auth: "none", version: "1.2.3" });
    for (const path of ["/ui", "/ui/", "/ui/config.json", "/ui/assets/viewer-abc123.js"]) {
      const answer = await send(port, "GET", path);
      expect(answer).toMatchObject({ status: 404, body: "next handler" });
    }
  });

  it("answers 503 saying how to build the viewer when its assets directory is missing", async () => {
    const port = await started({ assetsDir: join(tmpdir(), "no-such-viewer-build", "ui"), auth: "none", version: "1.2.3" });
    for (const path of ["/ui/", "/ui/runs/x", "/ui/assets/viewer-abc123.js"]) {
      const answer = await send(port, "GET", path);
      expect(answer.status).toBe(503);
      expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(answer.body).toBe("the viewer's assets are not built: run npm run build\n");
    }
    // What the pages need to know does not depend on the build.
    expect(JSON.parse((await send(port, "GET", "/ui/config.json")).body)).toEqual({ auth: "none", jaegerUrl: "", version: "1.2.3" });
  });

  it("answers 503 for a directory without index.html, then serves it once built, and a new build once rebuilt", async () => {
    const dir = mkdtempSync(join(tmpdir(), "viewer-later-"));
    dirs.push(dir);
    const port = await started({ assetsDir: dir, auth: "none", version: "1.2.3" });
    expect((await send(port, "GET", "/ui/")).status).toBe(503);
    writeFileSync(join(dir, "index.html"), indexHtml);
    expect(await send(port, "GET", "/ui/")).toMatchObject({ status: 200, body: indexHtml });
    const rebuilt = indexHtml.replace("viewer-abc123", "viewer-def4567");
    writeFileSync(join(dir, "index.html"), rebuilt);
    expect(await send(port, "GET", "/ui/", { "accept-encoding": "br" })).toMatchObject({ status: 200, body: rebuilt });
  });
});
