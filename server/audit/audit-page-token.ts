import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import { invalidArgumentError } from "../errors/error-detail.js";

/** The opaque `next_page_token` after the row `lastSeq`, bound to the filters' `fingerprint` (see `pageFingerprint`). */
export function encodeAuditPageToken(lastSeq: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify([lastSeq, fingerprint])).toString("base64url");
}

/**
 * The seq after which the next page starts, from a token {@link encodeAuditPageToken}
 * made with `fingerprint`.
 * @throws INVALID_ARGUMENT naming `page_token`, for anything else or a token of other filters.
 */
export function decodeAuditPageToken(token: string, fingerprint: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Number.isSafeInteger(parsed[0]) || (parsed[0] as number) < 0 || typeof parsed[1] !== "string") {
    throw pageTokenError("must be the next_page_token of a previous ListAuditEvents response, unchanged");
  }
  if (parsed[1] !== fingerprint) {
    throw pageTokenError("belongs to a ListAuditEvents call with other filters; send the same filters as the first page");
  }
  return parsed[0] as number;
}

function pageTokenError(description: string): ConnectError {
  return invalidArgumentError([create(FieldViolationSchema, { field: "page_token", description })]);
}
