import type { OutgoingHttpHeaders, ServerResponse } from "node:http";

/** The `error` object of an OpenAI error response. */
export interface OpenAIErrorDetail {
  readonly message: string;
  /** Default: derived from the status (`invalid_request_error`, `rate_limit_exceeded`, `server_error`). */
  readonly type?: string;
  /** Default: `null`. */
  readonly param?: string | null;
  /** Default: `null`. */
  readonly code?: string | null;
}

/** Sends `body` (already serialised) as a JSON response. */
export function sendJsonText(res: ServerResponse, status: number, body: string, headers?: OutgoingHttpHeaders): void {
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Sends `value` as a JSON response. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers?: OutgoingHttpHeaders): void {
  sendJsonText(res, status, JSON.stringify(value), headers);
}

/** Sends an error in OpenAI's shape: `{ error: { message, type, param, code } }`. */
export function sendOpenAIError(
  res: ServerResponse,
  status: number,
  detail: OpenAIErrorDetail,
  headers?: OutgoingHttpHeaders,
): void {
  const error = {
    message: detail.message,
    type: detail.type ?? errorTypeForStatus(status),
    param: detail.param ?? null,
    code: detail.code ?? null,
  };
  sendJson(res, status, { error }, headers);
}

/** The OpenAI error `type` that goes with an HTTP status. */
export function errorTypeForStatus(status: number): string {
  if (status === 429) return "rate_limit_exceeded";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}
