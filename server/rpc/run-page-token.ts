import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import { invalidArgumentError } from "../errors/error-detail.js";

/** Where a page of runs ended: the keyset cursor of the next page. */
export interface RunPageCursor {
  readonly startedAt: Date;
  readonly runId: string;
}

/** A short digest of what a page token is bound to (the filters, the thread), so that it cannot be reused with others. */
export function pageFingerprint(boundTo: readonly unknown[]): string {
  return createHash("sha256").update(JSON.stringify(boundTo)).digest("base64url").slice(0, 12);
}

/** The opaque `next_page_token` after `last`. */
export function encodeRunPageToken(last: RunPageCursor, fingerprint: string): string {
  return Buffer.from(JSON.stringify([last.startedAt.getTime(), last.runId, fingerprint])).toString("base64url");
}

/**
 * The cursor in a token {@link encodeRunPageToken} made with `fingerprint`.
 * @throws INVALID_ARGUMENT naming `page_token`: `malformed` for anything else
 * (a time out of Date's range too, which would otherwise reach the store as
 * an invalid date and look like an outage), `otherRequest` for a token of
 * another request.
 */
export function decodeRunPageToken(token: string, fingerprint: string, messages: { readonly malformed: string; readonly otherRequest: string }): RunPageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const startedAt = Array.isArray(parsed) && typeof parsed[0] === "number" ? new Date(parsed[0]) : undefined;
  if (!Array.isArray(parsed) || parsed.length !== 3 || startedAt === undefined || Number.isNaN(startedAt.getTime()) || typeof parsed[1] !== "string" || typeof parsed[2] !== "string") {
    throw pageTokenError(messages.malformed);
  }
  if (parsed[2] !== fingerprint) {
    throw pageTokenError(messages.otherRequest);
  }
  return { startedAt, runId: parsed[1] };
}

function pageTokenError(description: string): ConnectError {
  return invalidArgumentError([create(FieldViolationSchema, { field: "page_token", description })]);
}
