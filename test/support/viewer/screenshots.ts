import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { projectRoot } from "../service-process.js";

/**
 * Where the viewer tests write their screenshots: `VIEWER_SCREENSHOT_DIR` (relative to the
 * project root), default `test-results/viewer`. `VIEWER_SCREENSHOT_DIR=docs/viewer` refreshes
 * the copies the README shows.
 */
export const screenshotDir = resolve(projectRoot, process.env["VIEWER_SCREENSHOT_DIR"] ?? join("test-results", "viewer"));

/** Writes a full-page PNG of `page` as `<name>.png` in {@link screenshotDir}; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: "disabled" });
  return path;
}
