import { Code, ConnectError } from "@connectrpc/connect";
import { once } from "node:events";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { RunStatus } from "../gen/agent/v1/run_service_pb.js";
import { waitFor } from "./support/chaos/wait-for.js";
import { launchChromium } from "./support/chromium.js";
import type { TestService } from "./support/test-service.js";
import { buildViewerForTests, type ViewerBuildDir } from "./support/viewer/built-viewer.js";
import { openViewerPage, type ViewerPage } from "./support/viewer/viewer-page.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { serviceClients, startViewerService, type ServiceClients } from "./support/viewer/viewer-service.js";

// A run opened in the viewer while it runs: its text arrives on the page as the model writes
// it (WatchRun), its end shows without a reload, and "Cancel run" stops it down to the
// model's HTTP request. The simulator paces its answers (one word per chunk), so a run of
// `#words <n>` lasts about n × the chunk delay.

/** Delay between the simulated model's chunks: a `#words 250` answer takes about 10 s. */
const chunkDelayMs = 40;
/** The words of the run watched to its end; the simulator numbers them w0, w1, … */
const finishedRunWords = 250;

let viewer: ViewerBuildDir;
let browser: Browser;
let svc: TestService;
let clients: ServiceClients;
const opened: ViewerPage[] = [];

beforeAll(async () => {
  [viewer, browser] = await Promise.all([buildViewerForTests(), launchChromium()]);
  svc = await startViewerService(viewer, { AGENT_CACHE: "off" }, { simulator: { chunkDelayMs } });
  clients = serviceClients(svc.url);
}, 120_000);

afterAll(async () => {
  await Promise.all(opened.splice(0).map((page) => page.close()));
  await browser?.close();
  await svc?.close();
  await viewer?.remove();
});

/** A Stream of `input` read to its end in the background, as a caller that keeps it open. */
function startRun(input: string) {
  const events: StreamResponse[] = [];
  let ended = false;
  const done = (async () => {
    try {
      for await (const event of clients.agent.stream({ input })) {
        events.push(event);
      }
    } finally {
      ended = true;
    }
  })();
  // Observed by the test when it cares; never an unhandled rejection.
  done.catch(() => undefined);
  return {
    done,
    hasEnded: () => ended,
    async runId(): Promise<string> {
      await waitFor("the run to start", () => events.length > 0, { timeoutMs: 30_000 });
      const first = events[0]?.event;
      return first?.case === "runStarted" ? first.value.runId : "";
    },
  };
}

/** What a run's page shows at one moment: the highest word number on it, and its status. */
interface Glimpse {
  /** The highest `w<n>` of the simulated answer anywhere on the page; -1 before the first. */
  readonly lastWord: number;
  readonly running: boolean;
}

async function summaryText(page: Page): Promise<string> {
  return (await page.getByRole("region", { name: "Summary", exact: true }).textContent()) ?? "";
}

async function glimpse(page: Page): Promise<Glimpse> {
  // The text first, then the status: text seen with "Running" after it was seen while running.
  const text = (await page.locator("body").textContent()) ?? "";
  const summary = await summaryText(page);
  const words = [...text.matchAll(/\bw(\d+)-/g)].map((match) => Number(match[1]));
  return { lastWord: Math.max(-1, ...words), running: summary.includes("Running") };
}

async function openRun(runId: string, origin = svc.url): Promise<ViewerPage> {
  const viewerPage = await openViewerPage(browser, `${origin}/ui/runs/${runId}`);
  opened.push(viewerPage);
  await viewerPage.page.getByRole("heading", { level: 1, name: `Run ${runId}`, exact: true }).waitFor();
  return viewerPage;
}

describe("a slow run opened in the viewer while it runs", () => {
  it("shows its text arriving while it runs, then its final state without a reload", async () => {
    const run = startRun(`Tell me a story #words ${finishedRunWords}`);
    const runId = await run.runId();
    const { page, errors } = await openRun(runId);
    // Marks this document: a reload or a navigation to another document would lose it.
    await page.evaluate(() => Object.assign(globalThis, { viewerTestDocument: true }));

    let first: Glimpse | undefined;
    await expect
      .poll(async () => {
        const seen = await glimpse(page);
        first ??= seen.lastWord >= 0 && seen.running && !run.hasEnded() ? seen : undefined;
        return first !== undefined;
      }, { timeout: 30_000, interval: 100 })
      .toBe(true);
    // More of the answer arrives on the page while the run (and the caller's stream) still goes on.
    await expect
      .poll(async () => {
        const seen = await glimpse(page);
        return seen.running && !run.hasEnded() && seen.lastWord > (first?.lastWord ?? 0);
      }, { timeout: 30_000, interval: 100 })
      .toBe(true);

    await run.done;
    await expect.poll(() => summaryText(page), { timeout: 30_000 }).toContain("Completed");
    await page.getByRole("region", { name: "Output", exact: true }).getByText(`w${finishedRunWords - 1}-`).waitFor();
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    expect(await page.evaluate(() => "viewerTestDocument" in globalThis)).toBe(true);
    const { run: stored } = await clients.runs.getRun({ runId });
    expect(stored?.status).toBe(RunStatus.COMPLETED);
    expect(errors).toEqual([]);
  }, 120_000);

  it("keeps following it when its connection to the service is cut mid-run: it resumes from the events it has and ends in its final state", async () => {
    // The page reaches the service through a proxy the test cuts; the run itself goes on.
    const { port } = new URL(svc.url);
    const proxy: TcpProxy = await startTcpProxy({ host: "127.0.0.1", port: Number(port) });
    try {
      const run = startRun(`Tell me another story #words ${finishedRunWords}`);
      const runId = await run.runId();
      const { page, errors } = await openRun(runId, `http://127.0.0.1:${proxy.port}`);
      await page.evaluate(() => Object.assign(globalThis, { viewerTestDocument: true }));
      // Each WatchRun's request: one enveloped JSON message (a 5-byte prefix, then the JSON).
      const watches: { afterSeq?: number }[] = [];
      page.on("request", (request) => {
        const body = request.postDataBuffer();
        if (new URL(request.url()).pathname.endsWith("/WatchRun") && body !== null) {
          watches.push(JSON.parse(body.subarray(5).toString("utf8")) as { afterSeq?: number });
        }
      });
      await expect.poll(async () => (await glimpse(page)).lastWord, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(0);
      const beforeCut = await glimpse(page);
      const watchesBeforeCut = watches.length;

      proxy.cut();
      // The outage is said on the page while it lasts; the run goes on without it.
      await page.getByRole("alert").getByText("The service is unavailable", { exact: false }).waitFor({ timeout: 30_000 });
      expect(run.hasEnded()).toBe(false);
      proxy.restore();

      await run.done;
      await expect.poll(() => summaryText(page), { timeout: 30_000 }).toContain("Completed");
      await page.getByRole("region", { name: "Output", exact: true }).getByText(`w${finishedRunWords - 1}-`).waitFor();
      expect((await glimpse(page)).lastWord).toBeGreaterThan(beforeCut.lastWord);
      expect(await page.getByRole("alert").count()).toBe(0);
      expect(await page.evaluate(() => "viewerTestDocument" in globalThis)).toBe(true);
      // Watched again after the cut, from the events it had, not from the start.
      expect(watches.length).toBeGreaterThan(watchesBeforeCut);
      expect(watches.at(-1)?.afterSeq ?? 0).toBeGreaterThan(0);
      // Only the browser's own reports of the refused connections; nothing from the page.
      expect(errors.filter((error) => !error.includes("net::ERR_"))).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("opens a run while the service cannot be reached, says so, and shows the run once the service answers", async () => {
    const { port } = new URL(svc.url);
    const proxy: TcpProxy = await startTcpProxy({ host: "127.0.0.1", port: Number(port) });
    try {
      const { runId } = await clients.agent.execute({ input: "What is 17 * 23?" });
      const viewerPage = await openViewerPage(browser, `http://127.0.0.1:${proxy.port}/ui/`);
      opened.push(viewerPage);
      const { page, errors } = viewerPage;
      const link = page.getByRole("table", { name: "Runs", exact: true }).getByRole("link", { name: runId, exact: true });
      await link.waitFor();
      // The run pages' script has arrived (fetched with the page), so opening one needs only the RPCs.
      await expect
        .poll(() => page.evaluate(() => performance.getEntriesByType("resource").some((entry) => entry.name.includes("/assets/connected-"))), { timeout: 10_000 })
        .toBe(true);

      proxy.cut();
      await link.click();
      await page.getByRole("alert").getByText("The service is unavailable", { exact: false }).waitFor({ timeout: 30_000 });
      proxy.restore();
      await expect.poll(() => summaryText(page), { timeout: 30_000 }).toContain("Completed");
      expect(await page.getByRole("alert").count()).toBe(0);
      expect(errors.filter((error) => !error.includes("net::ERR_"))).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("is listed with the time it has taken so far, which grows while it runs", async () => {
    const run = startRun(`Tell me a list story #words ${finishedRunWords}`);
    const runId = await run.runId();
    const viewerPage = await openViewerPage(browser, `${svc.url}/ui/`);
    opened.push(viewerPage);
    const { page, errors } = viewerPage;
    const row = page.getByRole("table", { name: "Runs", exact: true }).getByRole("row").filter({ has: page.getByRole("link", { name: runId, exact: true }) });
    // The Duration column (the fourth).
    const duration = () => row.getByRole("cell").nth(3).textContent();
    await expect.poll(duration, { timeout: 30_000 }).toMatch(/^\d+(\.\d)? (ms|s) so far$/);
    const seconds = (text: string | null) => {
      const [value = "0", unit] = (text ?? "").split(" ");
      return unit === "ms" ? Number(value) / 1000 : Number(value);
    };
    const first = seconds(await duration());
    // The list asks again every 2 s: the time goes up while the run goes on.
    await expect.poll(async () => seconds(await duration()), { timeout: 10_000 }).toBeGreaterThan(first);
    expect(run.hasEnded()).toBe(false);
    await clients.runs.cancelRun({ runId });
    await run.done.catch(() => undefined);
    await expect.poll(duration, { timeout: 30_000 }).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect(errors).toEqual([]);
  }, 120_000);

  it("is stopped by its Cancel run button: the model's request is aborted and the page shows it canceled", async () => {
    // An answer of some 80 s: it ends only if canceled.
    const run = startRun("Tell me a long story #words 2000");
    const runId = await run.runId();
    const { page, errors } = await openRun(runId);
    await expect.poll(async () => (await glimpse(page)).lastWord, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(0);

    const aborted = once(svc.simulator.events, "aborted");
    const abortedBefore = svc.simulator.stats().aborted;
    await page.getByRole("button", { name: "Cancel run", exact: true }).click();
    await aborted;
    expect(svc.simulator.stats().aborted).toBe(abortedBefore + 1);

    await expect.poll(() => summaryText(page), { timeout: 30_000 }).toContain("Canceled");
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    const streamError = await run.done.then(
      () => undefined,
      (err: unknown) => ConnectError.from(err),
    );
    expect(streamError?.code).toBe(Code.Canceled);
    const { run: stored } = await clients.runs.getRun({ runId });
    expect(stored?.status).toBe(RunStatus.CANCELED);
    expect(errors).toEqual([]);
  }, 120_000);
});
