/** How a POST request carries its messages, read from its Content-Type, and the envelope they come in. */
export interface RequestFraming {
  /** The protocol, for logs. */
  readonly protocol: "connect" | "grpc" | "grpc-web";
  /** Each message in a 5-byte envelope (gRPC, gRPC-Web, Connect streaming), or the whole body is one (Connect unary). */
  readonly enveloped: boolean;
  /** Protobuf binary rather than JSON. */
  readonly binary: boolean;
  /** The header naming the request messages' compression. */
  readonly encodingHeader: string;
}

// The same Content-Types connect's protocol handlers accept; one that matches
// none of these is refused by connect before any message is read.
const json = String.raw`json(?:; ?charset=utf-?8)?`;
const framings: readonly (RequestFraming & { readonly contentType: RegExp })[] = [
  { contentType: /^application\/proto$/i, protocol: "connect", enveloped: false, binary: true, encodingHeader: "content-encoding" },
  { contentType: new RegExp(`^application/${json}$`, "i"), protocol: "connect", enveloped: false, binary: false, encodingHeader: "content-encoding" },
  { contentType: /^application\/connect\+proto$/i, protocol: "connect", enveloped: true, binary: true, encodingHeader: "connect-content-encoding" },
  { contentType: new RegExp(`^application/connect\\+${json}$`, "i"), protocol: "connect", enveloped: true, binary: false, encodingHeader: "connect-content-encoding" },
  { contentType: /^application\/grpc(?:\+proto)?$/i, protocol: "grpc", enveloped: true, binary: true, encodingHeader: "grpc-encoding" },
  { contentType: new RegExp(`^application/grpc\\+${json}$`, "i"), protocol: "grpc", enveloped: true, binary: false, encodingHeader: "grpc-encoding" },
  { contentType: /^application\/grpc-web(?:\+proto)?$/i, protocol: "grpc-web", enveloped: true, binary: true, encodingHeader: "grpc-encoding" },
  { contentType: new RegExp(`^application/grpc-web\\+${json}$`, "i"), protocol: "grpc-web", enveloped: true, binary: false, encodingHeader: "grpc-encoding" },
];

/**
 * The framing of a POST request's messages, or `undefined` for a Content-Type
 * no protocol serves (including `application/grpc-web-text`, which connect
 * does not accept).
 */
export function readRequestFraming(header: Headers): RequestFraming | undefined {
  const contentType = header.get("content-type") ?? "";
  const match = framings.find((f) => f.contentType.test(contentType));
  if (match === undefined) {
    return undefined;
  }
  const { contentType: _, ...framing } = match;
  return framing;
}

/** Flag bit of a compressed enveloped message (gRPC, gRPC-Web, Connect streaming). */
export const compressedFlag = 0b1;

/** Length of an envelope's header: the flags byte, then the message's big-endian 32-bit length. */
export const envelopeHeaderBytes = 5;

/** An envelope with `flags` holding `message`. */
export function envelope(flags: number, message: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(envelopeHeaderBytes + message.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, flags);
  view.setUint32(1, message.byteLength);
  bytes.set(message, envelopeHeaderBytes);
  return bytes;
}
