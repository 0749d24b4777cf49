/**
 * What the preload script (`preload.ts`) leaves for the application: the answers of the calls it
 * started, as the Connect protocol's JSON, each undefined when it did not succeed (or was not made).
 * Types only, and one name: the preload script must stay free of the application's imports.
 */

/** The property of `window` the preload script sets. */
export const preloadKey = "agentViewerPreload";

/** `/ui/config.json` as sent. */
export interface PreloadedSettings {
  readonly auth?: unknown;
  readonly jaegerUrl?: unknown;
  readonly version?: unknown;
}

/** The preload script's calls. */
export interface Preloaded {
  /** The settings; undefined when they could not be read. */
  readonly settings: Promise<PreloadedSettings | undefined>;
  /** `GetCaller`'s answer (JSON), when it was asked and succeeded. */
  readonly caller: Promise<unknown>;
  /** `ListRuns`'s first page without filters (JSON), when it was asked and succeeded. */
  readonly firstPage: Promise<unknown>;
  /** The token the calls were made with (kept from this tab's sign-in), if any. */
  readonly token: string | undefined;
}
