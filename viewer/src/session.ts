/**
 * What every page of a signed-in viewer shares: the credentials, the deployment's settings, who
 * the caller is, and the way back to the sign-in page when the service stops accepting the token.
 */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { FirstPagePrefetch } from "./first-page-prefetch.js";
import type { ViewerConfig } from "./settings.js";

/** Who the credentials authenticate as (`GetCaller`). */
export interface Caller {
  readonly principal: string;
  readonly isAdmin: boolean;
}

/** The signed-in viewer. */
export interface Session {
  /** The token the calls send as a bearer token; undefined for the local principal. */
  readonly token: string | undefined;
  readonly config: ViewerConfig;
  readonly caller: Caller;
  /** The runs list's first page, when it was asked for before the session began. */
  readonly firstPage?: FirstPagePrefetch;
  /** Called when a call answered UNAUTHENTICATED: forgets the token and shows the sign-in. */
  readonly signedOut: () => void;
}

/** The session of the pages below the app. */
export const SessionContext = createContext<Session | undefined>(undefined);

/** The session; only pages rendered by the app call it. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) {
    throw new Error("useSession outside the signed-in app");
  }
  return session;
}
