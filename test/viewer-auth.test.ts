import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.js";
import type { TestService } from "./support/test-service.js";
import { seriousViolations } from "./support/viewer/accessibility.js";
import { buildViewerForTests, type ViewerBuildDir } from "./support/viewer/built-viewer.js";
import { isFailedResponseReport, openViewerPage, signIn, type ViewerPage } from "./support/viewer/viewer-page.js";
import { serviceClients, startViewerService } from "./support/viewer/viewer-service.js";

// The run viewer of a service with API keys: the page asks for a key and shows nothing else
// without one; a caller's key shows its own runs only, an admin's everyone's and the
// Principal filter; a key the service does not know is refused on the sign-in page.

const newKey = () => randomBytes(24).toString("base64url");
const digest = (key: string) => createHash("sha256").update(key).digest("hex");
const keys = { orders: newKey(), billing: newKey(), ops: newKey() };

let dir: string;
let viewer: ViewerBuildDir;
let browser: Browser;
let svc: TestService;
/** One run of each caller. */
let ordersRun: string;
let billingRun: string;
const opened: ViewerPage[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-viewer-keys-"));
  const keysFile = join(dir, "keys.json");
  await writeFile(
    keysFile,
    JSON.stringify([
      { principal: "svc-orders", roles: ["caller"], sha256: digest(keys.orders) },
      { principal: "svc-billing", roles: ["caller"], sha256: digest(keys.billing) },
      { principal: "ops", roles: ["admin"], sha256: digest(keys.ops) },
    ]),
  );
  [viewer, browser] = await Promise.all([buildViewerForTests(), launchChromium()]);
  svc = await startViewerService(viewer, { AGENT_API_KEYS_FILE: keysFile });
  [ordersRun, billingRun] = await Promise.all(
    [keys.orders, keys.billing].map(async (key) => (await serviceClients(svc.url, key).agent.execute({ input: "What is 17 * 23?" })).runId),
  ) as [string, string];
}, 120_000);

afterAll(async () => {
  await Promise.all(opened.splice(0).map((page) => page.close()));
  await browser?.close();
  await svc?.close();
  await viewer?.remove();
  await rm(dir, { recursive: true, force: true });
});

async function open(path: string): Promise<ViewerPage> {
  const viewerPage = await openViewerPage(browser, `${svc.url}${path}`);
  opened.push(viewerPage);
  return viewerPage;
}

/** Waits for the sign-in page, then checks nothing but the sign-in is on it. */
async function expectOnlySignIn(page: Page): Promise<void> {
  await page.getByRole("heading", { level: 1, name: "Sign in", exact: true }).waitFor();
  await page.getByLabel("API key or bearer token").waitFor();
  expect(await page.getByRole("table").count(), "no table").toBe(0);
  expect(await page.getByRole("link", { name: "Runs", exact: true }).count(), "no Runs link").toBe(0);
  expect(await page.getByRole("link", { name: "Service", exact: true }).count(), "no Service link").toBe(0);
  expect(await page.getByRole("link", { name: ordersRun }).count(), "no run").toBe(0);
  expect(await page.getByRole("list", { name: "Timeline" }).count(), "no timeline").toBe(0);
}

/** The Runs table once its first rows are in. */
async function runsTable(page: Page) {
  await page.getByRole("heading", { level: 1, name: "Runs", exact: true }).waitFor();
  const table = page.getByRole("table", { name: "Runs", exact: true });
  await table.getByRole("row").nth(1).waitFor();
  return table;
}

describe("the run viewer with API keys configured", () => {
  it.each(["/ui/", "/ui/service", "/ui/runs/RUN"])("shows nothing but the sign-in without a key, at %s", async (path) => {
    const { page, errors } = await open(path.replace("RUN", () => ordersRun));
    await expectOnlySignIn(page);
    expect(errors).toEqual([]);
  }, 60_000);

  it("has a sign-in page that passes axe-core with no serious or critical violation", async () => {
    const { page } = await open("/ui/");
    await expectOnlySignIn(page);
    const violations = await seriousViolations(page);
    expect(violations, violations.join("\n")).toEqual([]);
  }, 60_000);

  it("refuses a key it does not know with an alert and stays on the sign-in", async () => {
    const { page, errors } = await open("/ui/");
    await page.getByRole("heading", { level: 1, name: "Sign in", exact: true }).waitFor();
    const wrong = newKey();
    await signIn(page, wrong);
    await page.getByRole("alert").waitFor();
    expect(((await page.getByRole("alert").textContent()) ?? "").trim()).not.toBe("");
    await expectOnlySignIn(page);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem("agent-viewer.token"))).toBeNull();
    // The browser itself reports the 401 of the refused key; the page adds no error of its own.
    expect(errors.filter((error) => !isFailedResponseReport(error, 401))).toEqual([]);
  }, 60_000);

  it("shows a caller its own runs only, without the Principal filter", async () => {
    const { page, errors } = await open("/ui/");
    await signIn(page, keys.orders);
    const table = await runsTable(page);
    await table.getByRole("link", { name: ordersRun, exact: true }).waitFor();
    expect(await table.getByRole("link", { name: billingRun, exact: true }).count()).toBe(0);
    expect(await page.getByRole("form", { name: "Filters" }).getByLabel("Principal", { exact: true }).count()).toBe(0);
    const banner = page.getByRole("banner");
    await banner.getByText("svc-orders").waitFor();
    await banner.getByRole("button", { name: "Sign out", exact: true }).waitFor();
    // Another caller's run, asked for by its address, is not shown either.
    await page.goto(`${svc.url}/ui/runs/${billingRun}`);
    // GetRun answers NOT_FOUND, as for a run that does not exist; the page says so in an alert.
    await page.getByRole("alert").filter({ hasText: billingRun }).waitFor();
    expect(await page.getByRole("list", { name: "Timeline" }).count()).toBe(0);
    expect(await page.getByRole("region", { name: "Summary" }).count()).toBe(0);
    expect(errors.filter((error) => !isFailedResponseReport(error, 404))).toEqual([]);
  }, 60_000);

  it("shows an admin every caller's runs, and the Principal filter narrows them to one", async () => {
    const { page, errors } = await open("/ui/");
    await signIn(page, keys.ops);
    const table = await runsTable(page);
    await table.getByRole("link", { name: ordersRun, exact: true }).waitFor();
    await table.getByRole("link", { name: billingRun, exact: true }).waitFor();

    const filters = page.getByRole("form", { name: "Filters", exact: true });
    await filters.getByLabel("Principal", { exact: true }).fill("svc-billing");
    await filters.getByRole("button", { name: "Apply filters", exact: true }).click();
    await table.getByRole("link", { name: ordersRun, exact: true }).waitFor({ state: "detached" });
    await table.getByRole("link", { name: billingRun, exact: true }).waitFor();

    // Signing out forgets the key: the page is back to the sign-in alone.
    await page.getByRole("banner").getByRole("button", { name: "Sign out", exact: true }).click();
    await expectOnlySignIn(page);
    expect(errors).toEqual([]);
  }, 60_000);
});
