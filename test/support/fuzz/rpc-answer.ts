import { Code } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { gunzipSync } from "node:zlib";
import type { RawResponse } from "./raw-exchange.js";

/** What an answer says about the request, read per the protocol its content type names. */
export type RpcAnswer =
  /** An RPC status: a gRPC status number, or what a Connect code string names (NaN for a string Connect does not know). */
  | { readonly kind: "rpc status"; readonly code: number; readonly via: string; readonly message: string }
  /** A plain HTTP answer where no RPC began (no RPC content type, no Connect error body). */
  | { readonly kind: "http status"; readonly status: number }
  /** An open-ended stream that was still well-formed and error-free when the client stopped reading. */
  | { readonly kind: "open stream" }
  /** An answer whose status cannot be read: a protocol violation of its own. */
  | { readonly kind: "unreadable"; readonly reason: string };

interface Envelope {
  readonly flags: number;
  readonly data: Uint8Array;
}

/** Splits a body into envelopes; `rest` holds an incomplete tail. */
function splitEnvelopes(body: Uint8Array): { envelopes: Envelope[]; rest: number } {
  const envelopes: Envelope[] = [];
  let offset = 0;
  while (body.length - offset >= 5) {
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    if (body.length - offset - 5 < length) {
      break;
    }
    envelopes.push({ flags: body[offset] ?? 0, data: body.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return { envelopes, rest: body.length - offset };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function inflate(data: Uint8Array, encoding: string | undefined): Uint8Array {
  if (encoding === undefined || encoding === "identity") {
    return data;
  }
  if (encoding === "gzip") {
    return new Uint8Array(gunzipSync(data));
  }
  throw new Error(`response compressed with ${encoding}, which the request never offered`);
}

/** The code (NaN for a string Connect does not know) and message of a Connect error object. */
function connectError(error: unknown): { code: number; message: string } | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    const message = "message" in error && typeof error.message === "string" ? error.message : "";
    return { code: codeFromString(error.code) ?? Number.NaN, message };
  }
  return undefined;
}

/** The Connect error a body holds; undefined when the body is not one. */
function connectErrorBody(body: Uint8Array, via: string): RpcAnswer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch {
    // Not JSON: a plain HTTP answer.
    return undefined;
  }
  const error = connectError(parsed);
  return error === undefined ? undefined : { kind: "rpc status", ...error, via };
}

function grpcStatus(value: string | undefined, message: string | undefined, via: string): RpcAnswer | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    return { kind: "unreadable", reason: `grpc-status "${value}" is not a number` };
  }
  let text = message ?? "";
  try {
    text = decodeURIComponent(text);
  } catch {
    // Shown as sent.
  }
  return { kind: "rpc status", code: Number(value), message: text, via };
}

function readConnectUnary(res: RawResponse): RpcAnswer {
  if (res.status === 200) {
    return { kind: "rpc status", code: 0, message: "", via: "HTTP 200" };
  }
  const body = inflate(res.body, res.headers["content-encoding"]);
  return connectErrorBody(body, `Connect error body, HTTP ${res.status}`) ?? { kind: "http status", status: res.status };
}

function readConnectStream(res: RawResponse): RpcAnswer {
  if (res.status !== 200) {
    return connectErrorBody(res.body, `Connect error body, HTTP ${res.status}`) ?? { kind: "http status", status: res.status };
  }
  const { envelopes, rest } = splitEnvelopes(res.body);
  const last = envelopes.at(-1);
  if (last !== undefined && (last.flags & 0x02) === 0x02) {
    const data = (last.flags & 0x01) === 0x01 ? inflate(last.data, res.headers["connect-content-encoding"]) : last.data;
    const parsed: unknown = JSON.parse(decoder.decode(data));
    if (typeof parsed !== "object" || parsed === null) {
      return { kind: "unreadable", reason: "end-stream message is not a JSON object" };
    }
    if (!("error" in parsed) || parsed.error === undefined) {
      return { kind: "rpc status", code: 0, message: "", via: "end-stream message" };
    }
    const error = connectError(parsed.error);
    return error === undefined ? { kind: "unreadable", reason: "end-stream error without a code" } : { kind: "rpc status", ...error, via: "end-stream message" };
  }
  if (res.end === "cut" && rest === 0) {
    return { kind: "open stream" };
  }
  return { kind: "unreadable", reason: `Connect stream ended without an end-stream message (${envelopes.length} envelopes, ${rest} stray bytes)` };
}

function readGrpc(res: RawResponse): RpcAnswer {
  const status =
    grpcStatus(res.trailers["grpc-status"], res.trailers["grpc-message"], "trailers") ??
    grpcStatus(res.headers["grpc-status"], res.headers["grpc-message"], "trailers-only headers");
  if (status !== undefined) {
    return status;
  }
  if (res.status !== 200) {
    return { kind: "http status", status: res.status };
  }
  return res.end === "cut" ? { kind: "open stream" } : { kind: "unreadable", reason: "gRPC response without grpc-status" };
}

function readGrpcWeb(res: RawResponse, text: boolean): RpcAnswer {
  const inHeaders = grpcStatus(res.headers["grpc-status"], res.headers["grpc-message"], "trailers-only headers");
  if (inHeaders !== undefined) {
    return inHeaders;
  }
  if (res.status !== 200) {
    return { kind: "http status", status: res.status };
  }
  const body = text ? new Uint8Array(Buffer.from(new TextDecoder().decode(res.body), "base64")) : res.body;
  const { envelopes, rest } = splitEnvelopes(body);
  const trailer = envelopes.find((e) => (e.flags & 0x80) === 0x80);
  if (trailer !== undefined) {
    const data = (trailer.flags & 0x01) === 0x01 ? inflate(trailer.data, res.headers["grpc-encoding"]) : trailer.data;
    const fields = new Map(
      decoder
        .decode(data)
        .split("\r\n")
        .map((line) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()] as const),
    );
    return (
      grpcStatus(fields.get("grpc-status"), fields.get("grpc-message"), "trailer frame") ?? {
        kind: "unreadable",
        reason: "gRPC-Web trailer frame without grpc-status",
      }
    );
  }
  if (res.end === "cut" && rest === 0) {
    return { kind: "open stream" };
  }
  return { kind: "unreadable", reason: `gRPC-Web response without a trailer frame (${envelopes.length} envelopes, ${rest} stray bytes)` };
}

/**
 * The status an HTTP/2 RST_STREAM code stands for, as the gRPC and Connect
 * protocol specifications map them; undefined for codes they leave unmapped.
 */
export function codeOfReset(resetCode: number): number | undefined {
  switch (resetCode) {
    case 0x7: // REFUSED_STREAM
      return Code.Unavailable;
    case 0x8: // CANCEL
      return Code.Canceled;
    case 0xb: // ENHANCE_YOUR_CALM
      return Code.ResourceExhausted;
    case 0xc: // INADEQUATE_SECURITY
      return Code.PermissionDenied;
    case 0x5: // STREAM_CLOSED
      return undefined;
    default:
      // NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR and the rest.
      return Code.Internal;
  }
}

/**
 * Reads the RPC status of a response by the protocol its content type
 * names: gRPC-Web (status headers or trailer frame), gRPC (trailers or
 * trailers-only headers), Connect streaming (end-stream message), Connect
 * unary (HTTP 200, or a JSON error body); anything else is a plain HTTP answer.
 */
export function readAnswer(res: RawResponse): RpcAnswer {
  const answer = readByContentType(res);
  // A stream reset part way through an answer still tells the client its status.
  const resetCode = res.resetCode === undefined ? undefined : codeOfReset(res.resetCode);
  if (answer.kind === "unreadable" && resetCode !== undefined) {
    return { kind: "rpc status", code: resetCode, message: "", via: `RST_STREAM ${res.resetCode} mid-response` };
  }
  return answer;
}

function readByContentType(res: RawResponse): RpcAnswer {
  const contentType = (res.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  try {
    if (contentType.startsWith("application/grpc-web")) {
      return readGrpcWeb(res, contentType.startsWith("application/grpc-web-text"));
    }
    if (contentType.startsWith("application/grpc")) {
      return readGrpc(res);
    }
    if (contentType.startsWith("application/connect+")) {
      return readConnectStream(res);
    }
    if (contentType === "application/json" || contentType === "application/proto" || res.status !== 200) {
      return readConnectUnary(res);
    }
  } catch (err) {
    return { kind: "unreadable", reason: `cannot read the status: ${String(err)}` };
  }
  return { kind: "unreadable", reason: `HTTP 200 with content type "${contentType}" carries no RPC status` };
}

/** The codes the service may answer with besides OK (see the AgentService docs); UNKNOWN and the rest never. */
const closedErrorCodes: ReadonlySet<number> = new Set([
  Code.InvalidArgument,
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.NotFound,
  Code.ResourceExhausted,
  Code.DeadlineExceeded,
  Code.Canceled,
  Code.Unavailable,
  Code.Internal,
  Code.Unimplemented,
]);

/** Whether `code` (0 for OK) is in the closed set of codes the service answers with. */
export function isClosedCode(code: number): boolean {
  return code === 0 || closedErrorCodes.has(code);
}

/** HTTP statuses a server may answer with where no RPC began. */
export const plainHttpStatuses: ReadonlySet<number> = new Set([400, 404, 405, 408, 413, 415, 431]);
