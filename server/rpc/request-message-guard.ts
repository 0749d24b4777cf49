import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import type { Compression, UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { checkBinaryMessage } from "./binary-message-check.js";
import { requestTooLargeError, undecodableRequestError } from "./decode-errors.js";
import { compressedFlag, envelope, envelopeHeaderBytes, readRequestFraming, type RequestFraming } from "./request-framing.js";

/** Options for {@link guardRequestMessages}. */
export interface RequestMessageGuardOptions {
  /** Largest request message, in bytes, as sent and after decompression (`HTTP_MAX_REQUEST_BYTES`). Required. */
  readonly maxBytes: number;
  /** Where refused requests are logged, at info, without their content. Required. */
  readonly logger: Logger;
  /**
   * Request compressions to look inside. Default gzip and brotli, the ones
   * connect-node accepts by default; a message in another passes unchecked,
   * and connect refuses its encoding.
   */
  readonly compressions?: readonly Compression[];
}

/**
 * Checks every request message of every method registered on `router` so
 * far, before connect parses it, on all three protocols and both HTTP
 * versions: call it last in the `routes` function.
 *
 * - A message over `maxBytes` is refused with RESOURCE_EXHAUSTED naming
 *   `HTTP_MAX_REQUEST_BYTES` (reason `REQUEST_TOO_LARGE`), before it is read
 *   when its length is declared. connect's own `readMaxBytes` check stays as
 *   the backstop, but its message cannot name the setting.
 * - A binary message that does not decode as the method's input is refused
 *   with INVALID_ARGUMENT (reason `UNDECODABLE_REQUEST`) saying what is wrong.
 *   connect would answer INTERNAL with no detail: it parses binary messages
 *   before any interceptor, its parse error has no cause to classify, and
 *   protobuf-es v2 has no reader hook (`readerFactory` was v1).
 * - An envelope whose flags byte sets anything but the compressed bit (such
 *   as Connect's or gRPC-Web's end-of-stream flag, which only responses may
 *   set), or that is marked compressed when the request names no encoding, is
 *   refused with INVALID_ARGUMENT (`UNDECODABLE_REQUEST`) naming the flags or
 *   the missing header. connect would answer INTERNAL ("parse binary", or
 *   "do not know how to decompress").
 * - A compressed message that does not inflate is refused with
 *   INVALID_ARGUMENT (`UNDECODABLE_REQUEST`), whatever zlib's error code
 *   (connect maps only some of them, and the rest to INTERNAL). A compressed
 *   envelope is forwarded inflated, with its compressed flag cleared, so it
 *   is inflated once; the response's compression is negotiated from the
 *   headers, which are unchanged.
 *
 * JSON messages are only measured (and inflated) here; the strict JSON
 * decoder checks their content.
 *
 * The errors are thrown from the request body, where connect expects read
 * errors, so each protocol sends them, details included, as it sends its
 * own; like connect's own decode errors, a unary call's refusal happens
 * before the interceptors, so it is logged here.
 *
 * The handlers are wrapped in place: `ConnectRouter.handlers` is the public
 * list the adapter serves from.
 */
export function guardRequestMessages(router: ConnectRouter, options: RequestMessageGuardOptions): void {
  const resolved: ResolvedOptions = { ...options, compressions: options.compressions ?? [compressionGzip, compressionBrotli] };
  router.handlers.forEach((handler, index) => {
    router.handlers[index] = guardHandler(handler, resolved);
  });
}

type ResolvedOptions = Required<RequestMessageGuardOptions>;

/** The checks of one request, and how it refuses. */
interface RequestCheck {
  /**
   * Checks one complete envelope (`whole`, whose flags byte is `flags` and
   * whose message is `payload`) and returns the bytes to forward in its
   * place; throws the error to send.
   */
  envelope(flags: number, payload: Uint8Array, whole: Uint8Array): Promise<Uint8Array>;
  /** Checks a Connect unary body, the one message; throws the error to send. */
  unaryBody(bytes: Uint8Array): Promise<void>;
  /** Logs and throws `err`. */
  refuse(err: ConnectError): never;
  readonly maxBytes: number;
}

function guardHandler(handler: UniversalHandler, options: ResolvedOptions): UniversalHandler {
  const guarded = async (req: UniversalServerRequest) => {
    const framing = req.method === "POST" ? readRequestFraming(req.header) : undefined;
    if (framing === undefined || !isByteStream(req.body)) {
      // GET (no route here allows it), or a Content-Type connect refuses anyway.
      return handler(req);
    }
    const compression = compressionOf(req, framing, options.compressions);
    const check = createRequestCheck(handler, framing, compression, options);
    if (framing.enveloped) {
      return handler({ ...req, body: guardEnvelopes(req.body, check) });
    }
    const declaredBytes = Number(req.header.get("content-length") ?? Number.NaN);
    // connect refuses a declared length over its limit before reading the
    // body, with a message that cannot name the setting; without the header,
    // the body is read here and refused with one that does.
    const header = declaredBytes > options.maxBytes ? withoutContentLength(req.header) : req.header;
    return handler({ ...req, header, body: guardUnaryBody(req.body, declaredBytes, check) });
  };
  return Object.assign(guarded, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}

function createRequestCheck(
  handler: UniversalHandler,
  framing: RequestFraming,
  // null: not compressed; undefined: an encoding we cannot read, which connect refuses.
  compression: Compression | null | undefined,
  options: ResolvedOptions,
): RequestCheck {
  const refuse = (err: ConnectError): never => {
    options.logger.info(
      {
        rpc: handler.requestPath,
        protocol: framing.protocol,
        code: Code[err.code],
        reason: err.findDetails(ErrorDetailSchema)[0]?.reason,
      },
      `refused a request message: ${err.rawMessage}`,
    );
    throw err;
  };
  // The message itself, once inflated.
  const checkMessage = (bytes: Uint8Array) => {
    if (bytes.byteLength > options.maxBytes) {
      refuse(requestTooLargeError(options.maxBytes, bytes.byteLength));
    }
    // JSON is the strict JSON decoder's.
    const problem = framing.binary ? checkBinaryMessage(handler.method.input, bytes) : undefined;
    if (problem !== undefined) {
      refuse(problem);
    }
  };
  return {
    maxBytes: options.maxBytes,
    refuse,
    async envelope(flags, payload, whole) {
      if ((flags & ~compressedFlag) !== 0) {
        // gRPC defines no other flag; Connect's and gRPC-Web's end-of-stream
        // flags (0x02, 0x80) mark a response's trailers, never a request's message.
        refuse(undecodableRequestError(`the envelope flags are ${hex(flags)}; a request message may only set ${hex(compressedFlag)} (compressed)`));
      }
      if ((flags & compressedFlag) === 0) {
        checkMessage(payload);
        return whole;
      }
      if (compression === null) {
        return refuse(
          undecodableRequestError(
            `the message is marked compressed (envelope flags ${hex(flags)}), but the request has no ${framing.encodingHeader} header naming its encoding`,
          ),
        );
      }
      if (compression === undefined) {
        // An encoding we cannot read: connect refuses it (UNIMPLEMENTED) before any message.
        return whole;
      }
      const inflated = await decompress(compression, payload, framing, refuse, options.maxBytes);
      checkMessage(inflated);
      return envelope(0, inflated);
    },
    async unaryBody(bytes) {
      if (compression === undefined) {
        return;
      }
      // Inflated here only to check it: connect inflates the body again, as
      // the Content-Encoding header, which also picks the response's
      // compression, stays as the client sent it.
      checkMessage(compression === null ? bytes : await decompress(compression, bytes, framing, refuse, options.maxBytes));
    },
  };
}

async function decompress(
  compression: Compression,
  bytes: Uint8Array,
  framing: RequestFraming,
  refuse: (err: ConnectError) => never,
  maxBytes: number,
): Promise<Uint8Array> {
  try {
    return await compression.decompress(bytes, maxBytes);
  } catch (err) {
    // connect's compressions report inflating past the limit as RESOURCE_EXHAUSTED.
    if (err instanceof ConnectError && err.code === Code.ResourceExhausted) {
      refuse(requestTooLargeError(maxBytes, undefined, err));
    }
    // Anything else is data that does not inflate: zlib's many error codes
    // (bad header, truncated stream, bad checksum) all mean the client's bytes are wrong.
    return refuse(
      undecodableRequestError(`the message is not valid ${compression.name} (${framing.encodingHeader}: ${compression.name})`, { cause: err }),
    );
  }
}

/** A Connect unary body: the whole body is the one message. */
async function* guardUnaryBody(
  body: AsyncIterable<Uint8Array>,
  declared: number,
  check: RequestCheck,
): AsyncGenerator<Uint8Array> {
  if (declared > check.maxBytes) {
    // Refused before reading: no point in receiving what would be thrown away.
    check.refuse(requestTooLargeError(check.maxBytes, declared));
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > check.maxBytes) {
      check.refuse(requestTooLargeError(check.maxBytes, undefined));
    }
    chunks.push(chunk);
  }
  const message = concat(chunks, size);
  await check.unaryBody(message);
  yield message;
}

/**
 * An enveloped body (gRPC, gRPC-Web, Connect streaming): a 5-byte header
 * (flags, big-endian length) before each message. Forwards each envelope
 * once it is complete and checked (inflated, when it was compressed); a
 * trailing incomplete one is forwarded as it is, for connect to refuse.
 */
async function* guardEnvelopes(body: AsyncIterable<Uint8Array>, check: RequestCheck): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array = new Uint8Array(0);
  for await (const chunk of body) {
    pending = pending.byteLength === 0 ? chunk : concat([pending, chunk], pending.byteLength + chunk.byteLength);
    let offset = 0;
    while (pending.byteLength - offset >= envelopeHeaderBytes) {
      const flags = pending[offset] ?? 0;
      const length = new DataView(pending.buffer, pending.byteOffset + offset + 1, 4).getUint32(0);
      if (length > check.maxBytes) {
        // Refused on the header alone, before the message is buffered.
        check.refuse(requestTooLargeError(check.maxBytes, length));
      }
      const end = offset + envelopeHeaderBytes + length;
      if (pending.byteLength < end) {
        break;
      }
      yield await check.envelope(flags, pending.subarray(offset + envelopeHeaderBytes, end), pending.subarray(offset, end));
      offset = end;
    }
    pending = pending.subarray(offset);
  }
  if (pending.byteLength > 0) {
    yield pending;
  }
}

/** A flags byte as written in the protocols' specifications, such as `0x01`. */
function hex(flags: number): string {
  return `0x${flags.toString(16).padStart(2, "0")}`;
}

function compressionOf(
  req: UniversalServerRequest,
  framing: RequestFraming,
  compressions: readonly Compression[],
): Compression | null | undefined {
  const name = req.header.get(framing.encodingHeader)?.trim().toLowerCase();
  if (name === undefined || name === "" || name === "identity") {
    return null;
  }
  return compressions.find((c) => c.name === name);
}

function withoutContentLength(header: Headers): Headers {
  const copy = new Headers(header);
  copy.delete("content-length");
  return copy;
}

function isByteStream(body: UniversalServerRequest["body"]): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const [only] = chunks;
  if (chunks.length === 1 && only !== undefined) {
    return only;
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}
