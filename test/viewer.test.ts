import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Run } from "../gen/agent/v1/run_service_pb.js";
import { formatCost, formatTokens } from "../viewer/src/format.js";
import { launchChromium } from "./support/chromium.js";
import type { TestService } from "./support/test-service.js";
import { seriousViolations } from "./support/viewer/accessibility.js";
import { buildViewerForTests, type ViewerBuildDir } from "./support/viewer/built-viewer.js";
import { saveScreenshot } from "./support/viewer/screenshots.js";
import { openViewerPage, type ViewerPage } from "./support/viewer/viewer-page.js";
import { serviceClients, startViewerService, type ServiceClients } from "./support/viewer/viewer-service.js";

// The run viewer in real headless Chromium, served by the service under /ui/ with the
// embedded defaults (loopback, no keys) and a Jaeger UI to link to: a run with two tool calls
// found in the list and read in full, new runs and filters in the list, the three views
// checked by axe-core and screenshotted, and no console error on any page. Running runs and
// keys have their own files (viewer-live, viewer-auth), each with its own service.

/** Asks the simulated model for the calculator and the clock in one turn: two tool calls. */
const twoToolTask = "What is 17 * 23, and what time is it in Asia/Tokyo?";

/** `text` as a number of its own, not part of a longer one nor of an id (such as the trace id's hex). */
const standingAlone = (text: string) => new RegExp(`(?<![\\w.,$])${text.replace(/[$.*+?^()[\]{}|\\]/g, "\\$&")}(?![\\w]|[.,]\\d)`);

/** The Jaeger UI the service's run pages link to; nothing listens there, only the link is checked. */
const jaegerUrl = "http://localhost:16686";

/** Text without any whitespace: JSON reads the same compact or indented. */
const squeezed = (text: string) => text.replace(/\s+/g, "");

let viewer: ViewerBuildDir;
let browser: Browser;
let svc: TestService;
let clients: ServiceClients;
/** The run with two tool calls, as GetRun reports it. */
let toolRun: Run;
const opened: ViewerPage[] = [];

beforeAll(async () => {
  [viewer, browser] = await Promise.all([buildViewerForTests(), launchChromium()]);
  svc = await startViewerService(viewer, { AGENT_UI_JAEGER_URL: jaegerUrl });
  clients = serviceClients(svc.url);
  // A few runs besides the one under test, so the list looks like a list.
  await clients.agent.execute({ input: "How many SKU-1001 are in stock?" });
  await clients.agent.execute({ input: "Hello! Who are you?" });
  const { runId } = await clients.agent.execute({ input: twoToolTask });
  const { run } = await clients.runs.getRun({ runId });
  if (run === undefined) {
    throw new Error(`GetRun returned no run for ${runId}`);
  }
  toolRun = run;
}, 120_000);

afterAll(async () => {
  await Promise.all(opened.splice(0).map((page) => page.close()));
  await browser?.close();
  await svc?.close();
  await viewer?.remove();
});

/** Opens `path` of the service's viewer; the page's console errors are checked by each test. */
async function open(path: string): Promise<ViewerPage> {
  const viewerPage = await openViewerPage(browser, `${svc.url}${path}`);
  opened.push(viewerPage);
  return viewerPage;
}

const toolCallsOf = (run: Run) => run.steps.flatMap((step) => (step.kind.case === "toolCall" ? [step.kind.value] : []));

/** The runs list with its table showing, and the row of `runId` in it. */
async function runsList(page: Page, runId: string) {
  await page.getByRole("heading", { level: 1, name: "Runs", exact: true }).waitFor();
  const table = page.getByRole("table", { name: "Runs", exact: true });
  const link = table.getByRole("link", { name: runId, exact: true });
  await link.waitFor();
  return { table, link };
}

describe("the run viewer, on the embedded defaults", () => {
  it("finds the run with two tool calls in the list, opens it, and shows both calls and the tokens and cost GetRun reports", async () => {
    const calls = toolCallsOf(toolRun);
    expect(calls.map((call) => call.name)).toEqual(["calculator", "current_time"]);

    const { page, errors } = await open("/ui/");
    const { table, link } = await runsList(page, toolRun.runId);
    const headers = await table.getByRole("columnheader").allTextContents();
    expect(headers.map((header) => header.trim())).toEqual(["Run", "Status", "Started", "Duration", "Tokens", "Cost", "Model", "Prompt", "Principal"]);
    // Newest first: the run under test was the last one made.
    const firstRowLink = table.getByRole("row").nth(1).getByRole("link").first();
    expect(await firstRowLink.textContent()).toBe(toolRun.runId);

    await link.click();
    await page.getByRole("heading", { level: 1, name: `Run ${toolRun.runId}`, exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/ui/runs/${toolRun.runId}`);

    const timeline = page.getByRole("list", { name: "Timeline", exact: true });
    for (const call of calls) {
      const item = timeline.getByRole("listitem").filter({ hasText: `Tool call ${call.name}` });
      await item.first().waitFor();
      expect(await item.count(), `one timeline item for the ${call.name} call`).toBe(1);
      const text = squeezed((await item.textContent()) ?? "");
      expect(text, `the ${call.name} call's arguments`).toContain(squeezed(call.arguments));
      expect(text, `the ${call.name} call's result`).toContain(squeezed(call.result));
    }
    // The model turns are there too, in order around the tool calls.
    const items = await timeline.getByRole("listitem").allTextContents();
    const kinds = items.map((text) => (text.includes("Tool call") ? "tool" : text.includes("Model turn") ? "model" : "other"));
    expect(kinds).toEqual(["model", "tool", "tool", "model"]);

    const summary = page.getByRole("region", { name: "Summary", exact: true });
    // innerText: the rendered lines, a label apart from its value.
    const summaryText = await summary.innerText();
    const usage = toolRun.usage;
    expect(usage?.totalTokens ?? 0).toBeGreaterThan(0);
    expect(toolRun.costUsd).toBeGreaterThan(0);
    expect(summaryText).toMatch(standingAlone(formatTokens(usage?.inputTokens ?? 0)));
    expect(summaryText).toMatch(standingAlone(formatTokens(usage?.outputTokens ?? 0)));
    expect(summaryText).toMatch(standingAlone(formatTokens(usage?.totalTokens ?? 0)));
    expect(summaryText).toMatch(standingAlone(formatCost(toolRun.costUsd)));
    expect(summaryText).toContain("Completed");
    expect(summaryText).toContain(`npm run trace:export -- ${toolRun.traceId}`);
    const traceLink = summary.getByRole("link", { name: "Open trace in Jaeger", exact: true });
    expect(await traceLink.getAttribute("href")).toBe(`${jaegerUrl}/trace/${toolRun.traceId}`);
    expect(await page.getByRole("region", { name: "Input", exact: true }).textContent()).toContain(twoToolTask);
    expect(squeezed((await page.getByRole("region", { name: "Output", exact: true }).textContent()) ?? "")).toContain(squeezed(toolRun.output));
    expect(errors).toEqual([]);
  }, 90_000);

  it("asks for the caller and the list's first page once each when it opens, and not for the settings the page holds", async () => {
    // The service writes the settings into the page; the preload script asks the rest before the
    // application has loaded; the application takes its answers instead of asking again (a second
    // ListRuns or GetCaller would be that hand-off broken).
    const context = await browser.newContext({ locale: "en-US", timezoneId: "UTC" });
    try {
      const page = await context.newPage();
      const asked: string[] = [];
      page.on("request", (request) => asked.push(new URL(request.url()).pathname));
      await page.goto(`${svc.url}/ui/`);
      await runsList(page, toolRun.runId);
      const count = (path: string) => asked.filter((p) => p === path).length;
      expect([count("/ui/config.json"), count("/agent.v1.RunService/GetCaller"), count("/agent.v1.RunService/ListRuns")]).toEqual([0, 1, 1]);
    } finally {
      await context.close();
    }
  });

  it("shows the runs list without the run pages' script (no Protobuf runtime), and says so when a run's page cannot load it", async () => {
    const context = await browser.newContext({ locale: "en-US", timezoneId: "UTC" });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
      // The script of the run, service and prompt pages never arrives.
      const refused: string[] = [];
      await page.route(/\/ui\/assets\/connected-[^/]+\.js$/, async (route) => {
        refused.push(new URL(route.request().url()).pathname);
        await route.abort("connectionrefused");
      });
      await page.goto(`${svc.url}/ui/`);
      await runsList(page, toolRun.runId);
      // The list works on its own: a filter is applied and its page shown.
      const filters = page.getByRole("form", { name: "Filters", exact: true });
      await filters.getByLabel("Status", { exact: true }).selectOption({ label: "Completed" });
      await filters.getByRole("button", { name: "Apply filters", exact: true }).click();
      await page.waitForURL((url) => url.search === "?status=completed");
      const { link } = await runsList(page, toolRun.runId);
      expect(refused.length).toBeGreaterThan(0);
      await link.click();
      await page.getByRole("alert").getByText("This page's script could not be loaded", { exact: false }).waitFor();
      // Only the refused script itself is reported by the browser; the page has no error of its own.
      expect(errors.filter((error) => !error.includes("connected-") && !error.includes("ERR_CONNECTION_REFUSED") && !error.includes("Failed to fetch dynamically imported module"))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("passes axe-core with no serious or critical violation on the runs list, one run and the service view, with no console error, and screenshots each", async () => {
    const views: { path: string; ready: (page: Page) => Promise<unknown>; screenshot: string }[] = [
      { path: "/ui/", ready: (page) => runsList(page, toolRun.runId), screenshot: "runs-list" },
      {
        path: `/ui/runs/${toolRun.runId}`,
        ready: (page) => page.getByRole("list", { name: "Timeline", exact: true }).getByRole("listitem").filter({ hasText: "Tool call current_time" }).waitFor(),
        screenshot: "run-detail",
      },
      {
        path: "/ui/service",
        ready: (page) => page.getByRole("table", { name: "Models", exact: true }).getByRole("cell", { name: "sim-large", exact: true }).waitFor(),
        screenshot: "service",
      },
    ];
    const failures: string[] = [];
    for (const view of views) {
      const { page, errors } = await open(view.path);
      await view.ready(page);
      await saveScreenshot(page, view.screenshot);
      const violations = await seriousViolations(page);
      failures.push(...violations.map((violation) => `${view.path}: ${violation}`));
      failures.push(...errors.map((error) => `${view.path}: console error: ${error}`));
    }
    expect(failures, failures.join("\n")).toEqual([]);
  }, 120_000);

  it("puts a new run at the top of the list without a reload, and filters the list by its input", async () => {
    const { page, errors } = await open("/ui/");
    const { table } = await runsList(page, toolRun.runId);
    await page.evaluate(() => Object.assign(globalThis, { viewerTestDocument: true }));
    const { runId } = await clients.agent.execute({ input: "What is 6 * 7? #fresh-run" });
    await table.getByRole("link", { name: runId, exact: true }).waitFor({ timeout: 30_000 });
    expect(await table.getByRole("row").nth(1).getByRole("link").first().textContent()).toBe(runId);
    expect(await page.evaluate(() => "viewerTestDocument" in globalThis)).toBe(true);

    const filters = page.getByRole("form", { name: "Filters", exact: true });
    for (const label of ["Status", "Prompt", "Prompt version", "Model", "Started after", "Started before", "Input contains"]) {
      expect(await filters.getByLabel(label, { exact: true }).count(), `the ${label} filter`).toBe(1);
    }
    const statuses = await filters.getByLabel("Status", { exact: true }).locator("option").allTextContents();
    expect(statuses.map((status) => status.trim())).toEqual(["Any", "Running", "Completed", "Failed", "Canceled"]);
    await filters.getByLabel("Input contains", { exact: true }).fill("asia/TOKYO");
    await filters.getByRole("button", { name: "Apply filters", exact: true }).click();
    await table.getByRole("link", { name: runId, exact: true }).waitFor({ state: "detached" });
    await table.getByRole("link", { name: toolRun.runId, exact: true }).waitFor();
    expect(await table.getByRole("row").count(), "the header row and the one run asking about Tokyo").toBe(2);

    await filters.getByLabel("Input contains", { exact: true }).fill("no run asks this");
    await filters.getByRole("button", { name: "Apply filters", exact: true }).click();
    await page.getByText("No runs match these filters.", { exact: true }).waitFor();
    expect(await table.getByRole("link").count()).toBe(0);
    expect(errors).toEqual([]);
  }, 60_000);

  it("shows the service view: models with their breakers, the cache, this replica's runs and experiments", async () => {
    const { page, errors } = await open("/ui/service");
    await page.getByRole("heading", { level: 1, name: "Service", exact: true }).waitFor();
    const models = page.getByRole("table", { name: "Models", exact: true });
    await models.getByRole("cell", { name: "sim-small", exact: true }).waitFor();
    await models.getByRole("cell", { name: "sim-large", exact: true }).waitFor();
    await page.getByText("No MCP servers configured.").waitFor();
    await page.getByRole("region", { name: "Cache", exact: true }).waitFor();
    await page.getByRole("region", { name: "Runs on this replica", exact: true }).waitFor();
    await page.getByRole("region", { name: "Experiments", exact: true }).getByText("No running experiments.").waitFor();
    // The banner's links lead between the views without a reload.
    const banner = page.getByRole("banner");
    await banner.getByRole("link", { name: "Runs", exact: true }).click();
    await runsList(page, toolRun.runId);
    expect(new URL(page.url()).pathname).toBe("/ui/");
    expect(errors).toEqual([]);
  }, 60_000);
});

describe("the run viewer turned off (AGENT_UI=off)", () => {
  it("answers 404 under /ui/, like any unknown path", async () => {
    const off = await startViewerService(viewer, { AGENT_UI: "off" });
    try {
      for (const path of ["/ui/", "/ui/config.json", "/ui/runs/some-run"]) {
        const res = await fetch(`${off.url}${path}`);
        await res.body?.cancel();
        expect(res.status, path).toBe(404);
      }
    } finally {
      await off.close();
    }
  }, 60_000);
});
