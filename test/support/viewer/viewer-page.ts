import type { Browser, BrowserContext, Page } from "playwright-core";

/** The size every viewer page is opened at, and screenshotted at. */
export const viewerViewport = Object.freeze({ width: 1280, height: 800 });

/** A page of the viewer in a browser context of its own, and what its console reported. */
export interface ViewerPage {
  readonly page: Page;
  /** Console messages of type `error` and uncaught exceptions, in order, since it opened. */
  readonly errors: string[];
  /** Closes the page and its context (its `sessionStorage` with it). */
  close(): Promise<void>;
}

/**
 * Opens `url` (a viewer page, such as `${service}/ui/`) in a new context at
 * {@link viewerViewport}, English and UTC, so numbers and times read the same on every
 * machine, collecting console errors and uncaught exceptions from the start.
 */
export async function openViewerPage(browser: Browser, url: string): Promise<ViewerPage> {
  const context: BrowserContext = await browser.newContext({ viewport: viewerViewport, locale: "en-US", timezoneId: "UTC" });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      const where = message.location().url;
      errors.push(where === "" ? message.text() : `${message.text()} (${where})`);
    }
  });
  page.on("pageerror", (err) => errors.push(`uncaught: ${err.message}`));
  await page.goto(url);
  return { page, errors, close: () => context.close() };
}

/** Signs in on the viewer's sign-in page with `key`, through its form, as a person would. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel("API key or bearer token").fill(key);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/**
 * The browser's own report of a response with HTTP status `status`, such as the 401 of a
 * rejected key: Chromium logs it as a console error whatever the page does with the answer.
 */
export function isFailedResponseReport(message: string, status: number): boolean {
  return message.startsWith(`Failed to load resource: the server responded with a status of ${status}`);
}
