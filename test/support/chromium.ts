import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where the browser tests find Chromium: `CHROMIUM_PATH`, default Debian's `/usr/bin/chromium` (CI installs it). */
export const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/**
 * Launches real headless Chromium, the system's own (playwright-core downloads
 * no browser). A missing Chromium fails the test with what to install: browser
 * tests run in CI, never skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not at ${chromiumPath}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH to its executable; the browser tests need a real browser`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
