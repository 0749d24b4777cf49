import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "./support/test-service.js";

// The run viewer's files and settings, served by the real service on its RPC
// port next to the RPCs (the pages themselves are tested in Chromium).

/** The version the service reports: the package's. */
const packageVersion = () => (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** As the build writes it: room for the settings, then the scripts; over 1 KiB, so it is sent compressed when asked. */
const indexHtml = (settings: string) =>
  `<!doctype html><html lang="en"><head><meta name="agent-viewer-config" content="${settings}" /><script type="module" src="/ui/assets/viewer-0123abcd.js"></script></head><body>${"<p>The page's markup.</p>".repeat(50)}</body></html>`;

/** The settings the service wrote into a page, decoded as a browser reads the attribute. */
function settingsIn(html: string): unknown {
  const content = /<meta name="agent-viewer-config" content="([^"]*)" \/>/.exec(html)?.[1];
  if (content === undefined) {
    throw new Error(`no settings in ${html}`);
  }
  return JSON.parse(content.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))));
}
const script = "export {};";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-ui-serving-"));
  await mkdir(join(dir, "ui", "assets"), { recursive: true });
  await writeFile(join(dir, "ui", "index.html"), indexHtml(""));
  await writeFile(join(dir, "ui", "assets", "viewer-0123abcd.js"), script);
  const key = randomBytes(24).toString("base64url");
  await writeFile(join(dir, "keys.json"), JSON.stringify([{ principal: "alice", roles: ["caller"], sha256: createHash("sha256").update(key).digest("hex") }]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const started: TestService[] = [];
afterEach(() => Promise.all(started.splice(0).map((svc) => svc.close())));

async function service(env: Record<string, string>): Promise<TestService> {
  const svc = await startTestService({ AGENT_UI_DIR: join(dir, "ui"), ...env });
  started.push(svc);
  return svc;
}

describe("the run viewer on the RPC port", () => {
  it("serves its pages, files and settings without credentials, next to the probes and the RPCs", async () => {
    const svc = await service({ AGENT_API_KEYS_FILE: join(dir, "keys.json"), AGENT_UI_JAEGER_URL: "http://localhost:16686/?org=a&env=b" });

    const config = await fetch(`${svc.url}/ui/config.json`);
    expect(config.status).toBe(200);
    expect(config.headers.get("cache-control")).toBe("no-store");
    const settings: unknown = await config.json();
    expect(settings).toEqual({ auth: "bearer", jaegerUrl: "http://localhost:16686/?org=a&env=b", version: packageVersion() });

    const page = await fetch(`${svc.url}/ui/runs/3f2a9c1e-0b7d-4c55-9e61-2d7f1a8b9c0d`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    // The settings of config.json, written into the page (escaped: no quote of theirs ends the attribute).
    const html = await page.text();
    expect(html).toBe(indexHtml(html.slice(html.indexOf('content="') + 'content="'.length, html.indexOf('" />'))));
    expect(html).not.toContain('content=""');
    expect(html).not.toContain("&env");
    expect(settingsIn(html)).toEqual(settings);
    // Compressed, the same page.
    const compressed = await fetch(`${svc.url}/ui/`, { headers: { "accept-encoding": "br" } });
    expect(compressed.headers.get("content-encoding")).toBe("br");
    expect(settingsIn(await compressed.text())).toEqual(settings);

    const asset = await fetch(`${svc.url}/ui/assets/viewer-0123abcd.js`);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await asset.text()).toBe(script);

    const redirect = await fetch(`${svc.url}/ui`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/ui/");

    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const unknown = await fetch(`${svc.url}/no/such/path`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "unimplemented" });
  });

  it("serves the same over HTTP/2", async () => {
    const svc = await service({});
    const session = connect(svc.url);
    try {
      const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const stream = session.request({ ":path": "/ui/assets/viewer-0123abcd.js" });
        let status = 0;
        let type = "";
        const chunks: Buffer[] = [];
        stream.on("response", (headers) => {
          status = Number(headers[":status"]);
          type = String(headers["content-type"]);
        });
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => resolve({ status, type, body: Buffer.concat(chunks).toString("utf8") }));
        stream.on("error", reject);
        stream.end();
      });
      expect(answer).toEqual({ status: 200, type: "text/javascript; charset=utf-8", body: script });
    } finally {
      session.close();
    }
  });

  it("tells the pages no sign-in is needed when every caller is the local dev principal", async () => {
    const svc = await service({});
    expect(await (await fetch(`${svc.url}/ui/config.json`)).json()).toEqual({ auth: "none", jaegerUrl: "", version: packageVersion() });
    expect(settingsIn(await (await fetch(`${svc.url}/ui/`)).text())).toEqual({ auth: "none", jaegerUrl: "", version: packageVersion() });
  });

  it("serves a page without room for the settings as it is (the pages then ask config.json)", async () => {
    const other = join(dir, "ui-without-settings");
    await mkdir(join(other, "assets"), { recursive: true });
    const plain = '<!doctype html><html lang="en"><head><script type="module" src="/ui/assets/viewer-0123abcd.js"></script></head><body></body></html>';
    await writeFile(join(other, "index.html"), plain);
    const svc = await service({ AGENT_UI_DIR: other });
    expect(await (await fetch(`${svc.url}/ui/`)).text()).toBe(plain);
  });

  it("is not there with AGENT_UI=off: /ui/ is an unknown path", async () => {
    const svc = await service({ AGENT_UI: "off" });
    for (const path of ["/ui", "/ui/", "/ui/config.json", "/ui/assets/viewer-0123abcd.js"]) {
      const answer = await fetch(`${svc.url}${path}`, { redirect: "manual" });
      expect(answer.status).toBe(404);
      expect(await answer.json()).toMatchObject({ code: "unimplemented" });
    }
  });
});
