/**
 * The deployment's settings for the pages, and the token of this tab's sign-in. The service
 * writes the settings into `index.html` (a `<meta name="agent-viewer-config">` whose content is
 * the JSON of `/ui/config.json`), so the pages know them without a round trip; `/ui/config.json`
 * is asked for when the page came without them.
 */

/** What the service says about this deployment. */
export interface ViewerConfig {
  /** `bearer`: the page asks for an API key or token; `none`: the service's local principal. */
  readonly auth: "none" | "bearer";
  /** The Jaeger UI's base URL; empty when none is configured. */
  readonly jaegerUrl: string;
  readonly version: string;
}

/** The settings' JSON as sent; each field is checked before use. */
export type ViewerConfigJson = Partial<Record<keyof ViewerConfig, unknown>>;

/** The `name` of the `<meta>` element the service writes the settings into. */
export const configMetaName = "agent-viewer-config";

/** Where the signed-in token is kept for the tab's life. */
export const tokenStorageKey = "agent-viewer.token";

/** The token of this tab's sign-in, if any. */
export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(tokenStorageKey) ?? undefined;
  } catch {
    // Storage refused (a privacy setting): the user signs in again on each load.
    return undefined;
  }
}

/** Keeps `token` for the tab, or forgets it when `undefined`. */
export function storeToken(token: string | undefined): void {
  try {
    if (token === undefined) {
      sessionStorage.removeItem(tokenStorageKey);
    } else {
      sessionStorage.setItem(tokenStorageKey, token);
    }
  } catch {
    // See storedToken.
  }
}

/** The settings the service wrote into the page; undefined when it wrote none (or they do not parse). */
export function settingsInPage(): ViewerConfigJson | undefined {
  const content = document.querySelector(`meta[name="${configMetaName}"]`)?.getAttribute("content") ?? "";
  if (content === "") {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(content);
    return typeof parsed === "object" && parsed !== null ? (parsed as ViewerConfigJson) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `/ui/config.json`; throws with a sentence when the service does not answer with one. */
export async function loadViewerConfig(signal?: AbortSignal): Promise<ViewerConfig> {
  const response = await fetch("/ui/config.json", { signal: signal ?? null, headers: { accept: "application/json" } });
  if (!response.ok) {
    throw new Error(`The service did not send the viewer's settings (HTTP ${response.status}). Reload the page; if it persists, check the service's logs.`);
  }
  return parseViewerConfig((await response.json()) as ViewerConfigJson);
}

/** The settings of a `/ui/config.json` body, with defaults for what it lacks. */
export function parseViewerConfig(body: ViewerConfigJson): ViewerConfig {
  return {
    auth: body.auth === "bearer" ? "bearer" : "none",
    jaegerUrl: typeof body.jaegerUrl === "string" ? body.jaegerUrl : "",
    version: typeof body.version === "string" ? body.version : "",
  };
}
