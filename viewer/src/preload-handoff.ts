/**
 * What the preload script (`preload.ts`) leaves for the application: the answers of the calls it
 * started, as the Connect protocol's JSON, each undefined when it did not succeed (or was not made).
 * Types only, and one name.
 */
import type { GetCallerResponseJson, ListRunsResponseJson } from "../../gen/agent/v1/run_service_pb.js";
import type { ViewerConfigJson } from "./settings.js";

/** The property of `window` the preload script sets. */
export const preloadKey = "agentViewerPreload";

/** The preload script's calls. */
export interface Preloaded {
  /** The settings; undefined when they could not be read. */
  readonly settings: Promise<ViewerConfigJson | undefined>;
  /** `GetCaller`'s answer, when it was asked and succeeded. */
  readonly caller: Promise<GetCallerResponseJson | undefined>;
  /** `ListRuns`'s first page without filters, when it was asked and succeeded. */
  readonly firstPage: Promise<ListRunsResponseJson | undefined>;
  /** The token the calls were made with (kept from this tab's sign-in), if any. */
  readonly token: string | undefined;
}

/** The preload script's answers; undefined when it did not run (or they were taken already). */
export function takePreloaded(): Preloaded | undefined {
  const holder = window as unknown as Record<string, Preloaded | undefined>;
  const preloaded = holder[preloadKey];
  holder[preloadKey] = undefined;
  return preloaded;
}
