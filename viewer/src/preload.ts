/**
 * The viewer's first calls, started before its application script has loaded: a small script of
 * its own that `index.html` runs first. With the settings the service wrote into the page (or,
 * without them, `/ui/config.json`), once they say the page may call the service (no credentials
 * needed, or a token kept from this tab's sign-in), it asks who the caller is and, on the
 * unfiltered runs list, for its first page. The application takes the answers (`takePreloaded`)
 * instead of asking again. Any answer that is not a plain success is left for the application to
 * ask for again, with its own error handling.
 */
import { getCaller, listRuns } from "./call-json.js";
import { preloadKey, type Preloaded } from "./preload-handoff.js";
import { runsPageSize } from "./run-filters.js";
import { settingsInPage, storedToken, type ViewerConfigJson } from "./settings.js";

/** The settings' JSON from `/ui/config.json`; undefined when it does not answer with them. */
async function fetchedSettings(): Promise<ViewerConfigJson | undefined> {
  try {
    const answer = await fetch("/ui/config.json", { headers: { accept: "application/json" } });
    return answer.ok ? ((await answer.json()) as ViewerConfigJson) : undefined;
  } catch {
    return undefined;
  }
}

/** The answer of `call`, or undefined when it failed. */
async function answerOf<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch {
    return undefined;
  }
}

function preload(): Preloaded {
  const token = storedToken();
  const inPage = settingsInPage();
  const settings = inPage === undefined ? fetchedSettings() : Promise.resolve(inPage);
  /** The credentials to send once the settings are known; undefined when no call may be made yet. */
  const credentialsOf = (config: ViewerConfigJson | undefined) => {
    if (config?.auth === "none") {
      return { token: undefined };
    }
    return config?.auth === "bearer" && token !== undefined ? { token } : undefined;
  };
  // Only the list's first page without filters: its request is the same for a caller and an admin.
  const onList = (location.pathname === "/ui/" || location.pathname === "/ui") && location.search === "";
  const start = (config: ViewerConfigJson | undefined) => {
    const sent = credentialsOf(config);
    return {
      caller: sent === undefined ? Promise.resolve(undefined) : answerOf(() => getCaller({}, sent)),
      firstPage: sent === undefined || !onList ? Promise.resolve(undefined) : answerOf(() => listRuns({ pageSize: runsPageSize }, sent)),
    };
  };
  // With the settings in the page, the calls leave now, not a round trip later.
  const calls = inPage === undefined ? settings.then(start) : Promise.resolve(start(inPage));
  return { settings, caller: calls.then((started) => started.caller), firstPage: calls.then((started) => started.firstPage), token };
}

(window as unknown as Record<string, Preloaded>)[preloadKey] = preload();
