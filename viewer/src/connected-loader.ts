/**
 * Loads the application's second script (`connected.tsx`: the run, service and prompt pages, the
 * Connect client and the Protobuf runtime) once, on demand; `index.html` has the browser fetch it
 * early (`modulepreload`), so loading it is mostly running it. Types only from `connected.js`
 * here: a value imported from it would put it in the first script.
 */

import type * as Connected from "./connected.js";

/** The second script's exports. */
export type ConnectedPages = typeof Connected;

let connected: Promise<ConnectedPages> | undefined;

/** The second script, loaded once (and again after a failed try). */
export function loadConnected(): Promise<ConnectedPages> {
  connected ??= import("./connected.js").catch((err: unknown) => {
    connected = undefined;
    throw err;
  });
  return connected;
}

/**
 * Loads the second script once the page has nothing better to do, so that opening a run after
 * the list has no script to wait for; a failure is left for the page that needs it to report.
 */
export function loadConnectedWhenIdle(): void {
  const load = () => void loadConnected().catch(() => undefined);
  if (typeof requestIdleCallback === "function") {
    requestIdleCallback(load, { timeout: 2_000 });
  } else {
    setTimeout(load, 200);
  }
}
