/**
 * The service's RPCs as the viewer calls them: Connect over `fetch` to the page's own origin, with
 * the signed-in token as a bearer header, and errors turned into sentences for the page.
 */
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AgentService } from "../../gen/agent/v1/agent_service_pb.js";
import { PromptService } from "../../gen/agent/v1/prompt_service_pb.js";
import { RunService } from "../../gen/agent/v1/run_service_pb.js";

/** What `/ui/config.json` says about this deployment. */
export interface ViewerConfig {
  /** `bearer`: the page asks for an API key or token; `none`: the service's local principal. */
  readonly auth: "none" | "bearer";
  /** The Jaeger UI's base URL; empty when none is configured. */
  readonly jaegerUrl: string;
  readonly version: string;
}

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

/** The clients of the three services the viewer reads. */
export interface Api {
  readonly runs: Client<typeof RunService>;
  readonly agent: Client<typeof AgentService>;
  readonly prompts: Client<typeof PromptService>;
}

/** Clients calling this page's origin, with `Authorization: Bearer <token>` when there is a token. */
export function createApi(token: string | undefined): Api {
  const bearer: Interceptor = (next) => async (req) => {
    if (token !== undefined && token !== "") {
      req.header.set("authorization", `Bearer ${token}`);
    }
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: location.origin, interceptors: [bearer] });
  return {
    runs: createClient(RunService, transport),
    agent: createClient(AgentService, transport),
    prompts: createClient(PromptService, transport),
  };
}

/** Reads `/ui/config.json`; throws with a sentence when the service does not answer with one. */
export async function loadViewerConfig(signal?: AbortSignal): Promise<ViewerConfig> {
  const response = await fetch("/ui/config.json", { signal, headers: { accept: "application/json" } });
  if (!response.ok) {
    throw new Error(`The service did not send the viewer's settings (HTTP ${response.status}). Reload the page; if it persists, check the service's logs.`);
  }
  return parseViewerConfig((await response.json()) as Partial<Record<keyof ViewerConfig, unknown>>);
}

/** The settings of a `/ui/config.json` body, with defaults for what it lacks. */
export function parseViewerConfig(body: Partial<Record<keyof ViewerConfig, unknown>>): ViewerConfig {
  return {
    auth: body.auth === "bearer" ? "bearer" : "none",
    jaegerUrl: typeof body.jaegerUrl === "string" ? body.jaegerUrl : "",
    version: typeof body.version === "string" ? body.version : "",
  };
}

/** True for the error a call ends with when its page aborted it: nothing to show. */
export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted === true) {
    return true;
  }
  return err instanceof DOMException && err.name === "AbortError";
}

/**
 * What a page does with a call that failed: nothing when the page itself aborted it (it changed),
 * back to the sign-in when the service refused the credentials, else `show` the sentence for it.
 */
export function failureHandler(signal: AbortSignal | undefined, signedOut: () => void, show: (message: string) => void): (err: unknown) => void {
  return (err) => {
    if (isAbort(err, signal)) {
      return;
    }
    if (isUnauthenticated(err)) {
      signedOut();
      return;
    }
    show(errorMessage(err));
  };
}

/** True when the service refused the credentials: the page goes back to sign-in. */
export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}

/** A sentence for the page about a failed call: what happened and, where it helps, what to do. */
export function errorMessage(err: unknown): string {
  if (err instanceof ConnectError) {
    const message = err.rawMessage === "" ? Code[err.code] : err.rawMessage;
    switch (err.code) {
      case Code.Unavailable:
        return `The service is unavailable: ${message}. It will be retried.`;
      case Code.PermissionDenied:
        return `Not allowed: ${message}`;
      case Code.NotFound:
        return `Not found: ${message}`;
      case Code.Unauthenticated:
        return `Not signed in: ${message}`;
      default:
        return `${message} (${codeName(err.code)})`;
    }
  }
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/** A code as the protocol spells it: `invalid_argument`. */
function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
