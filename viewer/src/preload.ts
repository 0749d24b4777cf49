/**
 * The viewer's first calls, started before its application script has loaded: a small script of
 * its own, with no imports, that `index.html` runs first. It asks for the deployment's settings
 * and, once they say the page may call the service (no credentials needed, or a token kept from
 * this tab's sign-in), for who the caller is and, on the unfiltered runs list, its first page:
 * over the Connect protocol's JSON, which needs no Protobuf runtime. The application takes the
 * answers (see `preloaded.ts`) instead of asking again, so the list's first page no longer waits
 * for the application script to load and start. Any answer that is not a plain success is left
 * for the application to ask for again, with its own error handling.
 */
import { preloadKey, type Preloaded, type PreloadedSettings } from "./preload-handoff.js";

/** As `api.ts` keeps it; read here without importing it. */
const tokenStorageKey = "agent-viewer.token";
/** As `run-filters.ts` pages the list. */
const runsPageSize = 50;

function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(tokenStorageKey) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The JSON of a successful answer; undefined for anything else (the application asks again). */
async function json(response: Promise<Response>): Promise<unknown> {
  try {
    const answer = await response;
    return answer.ok ? await answer.json() : undefined;
  } catch {
    return undefined;
  }
}

/** A unary call of the Connect protocol with a JSON body, as connect-web sends it. */
function call(method: string, body: unknown, token: string | undefined): Promise<unknown> {
  const headers: Record<string, string> = { "content-type": "application/json", "connect-protocol-version": "1" };
  if (token !== undefined && token !== "") {
    headers["authorization"] = `Bearer ${token}`;
  }
  return json(fetch(`/${method}`, { method: "POST", headers, body: JSON.stringify(body) }));
}

function preload(): Preloaded {
  const token = storedToken();
  const settings = json(fetch("/ui/config.json", { headers: { accept: "application/json" } })) as Promise<PreloadedSettings | undefined>;
  /** The credentials to send once the settings are known; undefined when no call may be made yet. */
  const credentials = settings.then((config) => {
    if (config?.auth === "none") {
      return { token: undefined };
    }
    return config?.auth === "bearer" && token !== undefined ? { token } : undefined;
  });
  const caller = credentials.then(async (sent) => (sent === undefined ? undefined : call("agent.v1.RunService/GetCaller", {}, sent.token)));
  // Only the list's first page without filters: its request is the same for a caller and an admin.
  const onList = (location.pathname === "/ui/" || location.pathname === "/ui") && location.search === "";
  const firstPage = onList
    ? credentials.then(async (sent) => (sent === undefined ? undefined : call("agent.v1.RunService/ListRuns", { pageSize: runsPageSize }, sent.token)))
    : Promise.resolve(undefined);
  return { settings, caller, firstPage, token };
}

(window as unknown as Record<string, Preloaded>)[preloadKey] = preload();
