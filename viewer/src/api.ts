/**
 * The service's RPCs as the run, service and prompt pages call them: Connect over `fetch` to the
 * page's own origin, with the signed-in token as a bearer header, and errors turned into sentences
 * for the page. Loaded with those pages, not before: the runs list and the sign-in call the
 * service with `call-json.ts`, which needs no Protobuf runtime.
 */
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AgentService } from "../../gen/agent/v1/agent_service_pb.js";
import { PromptService } from "../../gen/agent/v1/prompt_service_pb.js";
import { RunService } from "../../gen/agent/v1/run_service_pb.js";
import type { CodeName } from "./call-json.js";
import { classifyCallError, errorMessageOf, failureHandlerOf, isUnauthenticatedOf, type Classify } from "./failure.js";
import { useSession } from "./session.js";

export { isAbort } from "./failure.js";

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

/** The clients of the signed-in session, made once per token. */
let current: { readonly token: string | undefined; readonly api: Api } | undefined;

/** The clients for the session's credentials; only pages rendered by the app call it. */
export function useApi(): Api {
  const { token } = useSession();
  if (current === undefined || current.token !== token) {
    current = { token, api: createApi(token) };
  }
  return current.api;
}

/** A code as the protocol spells it: `invalid_argument`. */
function codeName(code: Code): CodeName {
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase() as CodeName;
}

/** The failures of the Connect client, and of `call-json.ts`. */
const classify: Classify = (err) => {
  if (err instanceof ConnectError) {
    // fetch's own failure (no answer at all), which connect-web passes on as the cause.
    if (err.code === Code.Unknown && err.cause instanceof TypeError) {
      return { code: "unavailable", message: "the service could not be reached" };
    }
    return { code: codeName(err.code), message: err.rawMessage };
  }
  return classifyCallError(err);
};

/**
 * What a page does with a call that failed: nothing when the page itself aborted it (it changed),
 * back to the sign-in when the service refused the credentials, else `show` the sentence for it.
 */
export const failureHandler = failureHandlerOf(classify);

/** True when the service refused the credentials: the page goes back to sign-in. */
export function isUnauthenticated(err: unknown): boolean {
  return isUnauthenticatedOf(err, classify);
}

/** True for a failure that asking again later may cure: the service could not be reached, or said it is unavailable. */
export function isRetryable(err: unknown): boolean {
  return classify(err)?.code === "unavailable";
}

/** A sentence for the page about a failed call: what happened and, where it helps, what to do. */
export function errorMessage(err: unknown): string {
  return errorMessageOf(err, classify);
}
