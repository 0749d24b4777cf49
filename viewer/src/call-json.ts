/**
 * Unary calls of the Connect protocol with JSON bodies, over `fetch`, typed by the generated JSON
 * types (`ListRunsRequestJson`, …): what the runs list and the sign-in need, without the Protobuf
 * runtime that `@connectrpc/connect-web` brings (about half of the application's script). The
 * protocol's unary form is a POST of the request's JSON, answered by the response's JSON or by an
 * error body `{"code": "...", "message": "..."}`; see https://connectrpc.com/docs/protocol.
 * Every other call goes through the Connect client of `api.ts`.
 */
import type { GetCallerRequestJson, GetCallerResponseJson, ListRunsRequestJson, ListRunsResponseJson } from "../../gen/agent/v1/run_service_pb.js";

/** The Connect protocol's error codes, as its JSON spells them. */
export type CodeName =
  | "canceled"
  | "unknown"
  | "invalid_argument"
  | "deadline_exceeded"
  | "not_found"
  | "already_exists"
  | "permission_denied"
  | "resource_exhausted"
  | "failed_precondition"
  | "aborted"
  | "out_of_range"
  | "unimplemented"
  | "internal"
  | "unavailable"
  | "data_loss"
  | "unauthenticated";

const codeNames: ReadonlySet<string> = new Set<CodeName>([
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
]);

/** A call the service (or the way to it) answered with an error. */
export class CallError extends Error {
  constructor(
    readonly code: CodeName,
    /** The service's own message; empty when it sent none. */
    readonly rawMessage: string,
  ) {
    super(rawMessage === "" ? code : `[${code}] ${rawMessage}`);
    this.name = "CallError";
  }
}

/** The methods called with JSON, by their protocol path (checked against the service's descriptor in a test). */
export const jsonMethods = {
  getCaller: "agent.v1.RunService/GetCaller",
  listRuns: "agent.v1.RunService/ListRuns",
} as const;

/** The options of a call. */
export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`; none when undefined or empty. */
  readonly token?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The service's origin; default the page's own (paths relative to it). */
  readonly baseUrl?: string | undefined;
}

/** The HTTP status of an answer without a Connect error body, as the protocol maps it to a code. */
function codeOfStatus(status: number): CodeName {
  switch (status) {
    case 400:
      return "internal";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "unimplemented";
    case 429:
    case 502:
    case 503:
    case 504:
      return "unavailable";
    default:
      return "unknown";
  }
}

/**
 * Calls `method` with `request`; resolves with the response's JSON, rejects with a
 * {@link CallError} for an error answer or an unreachable service, and with the `AbortError`
 * of `fetch` when `signal` aborted it.
 */
export async function callJson<Response>(method: string, request: unknown, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json", "connect-protocol-version": "1" };
  if (options.token !== undefined && options.token !== "") {
    headers["authorization"] = `Bearer ${options.token}`;
  }
  let response: globalThis.Response;
  try {
    response = await fetch(`${options.baseUrl ?? ""}/${method}`, { method: "POST", headers, body: JSON.stringify(request), signal: options.signal ?? null });
  } catch (err) {
    if (options.signal?.aborted === true) {
      throw err;
    }
    throw new CallError("unavailable", "the service could not be reached");
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    // Aborted while the body was read: an abort; cut off: the service went away mid-answer.
    if (options.signal?.aborted === true) {
      throw err;
    }
    throw new CallError("unavailable", "the service's answer was cut off");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status === 200 && typeof body === "object" && body !== null) {
    return body as Response;
  }
  if (!response.ok && typeof body === "object" && body !== null && "code" in body && typeof body.code === "string" && codeNames.has(body.code)) {
    const message = "message" in body && typeof body.message === "string" ? body.message : "";
    throw new CallError(body.code as CodeName, message);
  }
  throw new CallError(response.status === 200 ? "internal" : codeOfStatus(response.status), response.status === 200 ? "the service's answer was not JSON" : `HTTP ${response.status}`);
}

/** `RunService.GetCaller`. */
export function getCaller(request: GetCallerRequestJson, options?: CallOptions): Promise<GetCallerResponseJson> {
  return callJson(jsonMethods.getCaller, request, options);
}

/** `RunService.ListRuns`. */
export function listRuns(request: ListRunsRequestJson, options?: CallOptions): Promise<ListRunsResponseJson> {
  return callJson(jsonMethods.listRuns, request, options);
}
