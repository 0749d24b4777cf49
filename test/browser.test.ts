import * as esbuild from "esbuild";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebProtocol } from "../client/web.js";
import type { AgentChecks, PageFailure, PageRunReport } from "./support/browser/sdk-page.js";
import { launchChromium } from "./support/chromium.js";
import { projectRoot } from "./support/service-process.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The SDK's browser entry in real headless Chromium, on a page from another loopback origin than
// the service's: CORS preflights, Connect and gRPC-Web over fetch, streamed events. Regression:
// the preflight got 405 and every call failed with "blocked by CORS policy".

/** A page server: an HTML page and the bundled script of test/support/browser/sdk-page.ts. */
interface PageServer {
  readonly origin: string;
  close(): Promise<void>;
}

async function startPageServer(script: string): Promise<PageServer> {
  const html = '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>SDK</title></head>' +
    '<body><script type="module" src="/sdk-page.js"></script></body></html>';
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === "/sdk-page.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(script);
    } else if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A page of `server`, its script loaded, and the console errors and uncaught exceptions it reports. */
async function openPage(browser: Browser, server: PageServer): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      errors.push(message.text());
    }
  });
  page.on("pageerror", (err) => errors.push(`uncaught: ${err.message}`));
  await page.goto(`${server.origin}/`);
  await page.waitForFunction(() => "agentChecks" in globalThis);
  return { page, errors };
}

let browser: Browser;
let svc: TestService;
let allowedPages: PageServer;
let refusedPages: PageServer;

beforeAll(async () => {
  const bundle = await esbuild.build({
    entryPoints: [join(projectRoot, "test", "support", "browser", "sdk-page.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0]?.text ?? "";
  [allowedPages, refusedPages] = await Promise.all([startPageServer(script), startPageServer(script)]);
  svc = await startTestService({ AGENT_CORS_ORIGINS: allowedPages.origin });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await allowedPages?.close();
  await refusedPages?.close();
});

describe("a page on an allowed origin", () => {
  it.each<{ protocol: WebProtocol }>([{ protocol: "connect" }, { protocol: "grpc-web" }])(
    "executes and streams over $protocol, with no console error",
    async ({ protocol }) => {
      const { page, errors } = await openPage(browser, allowedPages);
      try {
        const report: PageRunReport = await page.evaluate(({ baseUrl, wire }) => (globalThis as unknown as { agentChecks: AgentChecks }).agentChecks.run(baseUrl, wire), {
          baseUrl: svc.url,
          wire: protocol,
        });
        expect(report.output).toContain("391");
        expect(report.stopReason).toBe("FINAL_ANSWER");
        expect(report.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(report.kinds[0]).toBe("runStarted");
        expect(report.kinds).toEqual(expect.arrayContaining(["toolCallStarted", "toolCallFinished", "modelCallFinished"]));
        expect(report.kinds.at(-1)).toBe("runCompleted");
        expect(report.toolResults).toEqual([expect.stringMatching(/^calculator: .*391/)]);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    },
  );
});

describe("a page on an origin that is not allowed", () => {
  it("cannot call the service: Chromium blocks the call after the refused preflight", async () => {
    const { page, errors } = await openPage(browser, refusedPages);
    try {
      const failure: PageFailure = await page.evaluate(
        (baseUrl) => (globalThis as unknown as { agentChecks: AgentChecks }).agentChecks.attempt(baseUrl, "connect"),
        svc.url,
      );
      expect(failure.failed).toBe(true);
      expect(failure.isAgentServiceError).toBe(true);
      expect(errors).toEqual(expect.arrayContaining([expect.stringContaining("blocked by CORS policy")]));
    } finally {
      await page.close();
    }
  });

  it("gets 403 without Allow-Origin for its preflight, while an allowed origin gets 204, and the service logs neither", async () => {
    const logLines = svc.logs.length;
    const preflight = (origin: string) =>
      fetch(`${svc.url}/agent.v1.AgentService/Execute`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,connect-protocol-version" },
      });
    const refused = await preflight(refusedPages.origin);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    const allowed = await preflight(allowedPages.origin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(allowedPages.origin);
    expect(allowed.headers.get("access-control-allow-headers")).toContain("Authorization");
    expect(allowed.headers.get("vary")).toBe("Origin");
    expect(svc.logs.slice(logLines).filter((line) => Number(line["level"]) >= 40)).toEqual([]);
  });
});
