import { create } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import { connectErrorWithDetail } from "../errors/error-detail.js";

/**
 * `ErrorDetail.reason` of a request refused before it was decoded, one per
 * way the bytes can be wrong. Callers and dashboards match on these, so they
 * are part of the API.
 */
export const decodeRejectionReason = {
  /** The bytes are not a message of the method's input type. */
  undecodable: "UNDECODABLE_REQUEST",
  /** A message is larger than `HTTP_MAX_REQUEST_BYTES`. */
  tooLarge: "REQUEST_TOO_LARGE",
  /** JSON nests arrays and objects deeper than `HTTP_MAX_JSON_DEPTH`. */
  jsonTooDeep: "JSON_TOO_DEEP",
} as const;

/** One of {@link decodeRejectionReason}. */
export type DecodeRejectionReason = (typeof decodeRejectionReason)[keyof typeof decodeRejectionReason];

/**
 * INVALID_ARGUMENT for a request message that does not decode. `description`
 * says what is wrong with the bytes; `field`, when known, is the field path
 * of the broken value (such as `input` for a string that is not UTF-8).
 */
export function undecodableRequestError(
  description: string,
  options: { readonly field?: string; readonly cause?: unknown } = {},
): ConnectError {
  const violations =
    options.field === undefined ? [] : [create(FieldViolationSchema, { field: options.field, description })];
  const where = options.field === undefined ? "" : `${options.field}: `;
  return connectErrorWithDetail(
    `invalid request: the message does not decode: ${where}${description}`,
    Code.InvalidArgument,
    { reason: decodeRejectionReason.undecodable, fieldViolations: violations },
    options.cause,
  );
}

/**
 * RESOURCE_EXHAUSTED for a request message over the size cap, the code
 * connect-node and gRPC use for `readMaxBytes`. Not retryable as sent, so no
 * retry-after.
 */
export function requestTooLargeError(maxBytes: number, bytes: number | undefined, cause?: unknown): ConnectError {
  const size = bytes === undefined ? "larger" : `${bytes} bytes`;
  return connectErrorWithDetail(
    `request message too large: ${size}, the limit is ${maxBytes} bytes (HTTP_MAX_REQUEST_BYTES)`,
    Code.ResourceExhausted,
    { reason: decodeRejectionReason.tooLarge },
    cause,
  );
}

/** INVALID_ARGUMENT for JSON that nests deeper than the server allows. */
export function jsonTooDeepError(maxDepth: number): ConnectError {
  return connectErrorWithDetail(
    `invalid request: JSON nests arrays and objects deeper than ${maxDepth} levels (HTTP_MAX_JSON_DEPTH)`,
    Code.InvalidArgument,
    { reason: decodeRejectionReason.jsonTooDeep },
  );
}
