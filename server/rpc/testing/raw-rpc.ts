import { Code, ConnectError } from "@connectrpc/connect";
import { endStreamFlag, endStreamFromJson, errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import * as http from "node:http";
import * as http2 from "node:http2";

/**
 * The wire protocol of a raw call: Connect unary, Connect streaming (for
 * server-streaming methods), gRPC, gRPC-Web.
 */
export type RawProtocol = "connect" | "connect-stream" | "grpc" | "grpc-web";

/** One request whose bytes the test chooses. */
export interface RawCall {
  readonly protocol: RawProtocol;
  readonly httpVersion: "1.1" | "2";
  /** Such as `/agent.v1.AgentService/Execute`. */
  readonly path: string;
  /** The request message as sent: enveloped by the protocol unless `body` is given. */
  readonly message?: Uint8Array;
  /** JSON rather than Protobuf binary. Default false. */
  readonly json?: boolean;
  /** Envelope flags of the message (1 marks it compressed). Default 0. */
  readonly flags?: number;
  /** The whole body, already framed, instead of `message`. */
  readonly body?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** HTTP method. Default POST. */
  readonly method?: string;
}

/** What came back. */
export interface RawOutcome {
  readonly status: number;
  /** The RPC's error, decoded as a client of the protocol would. */
  readonly error: ConnectError | undefined;
  /** Response messages, without their envelopes. */
  readonly messages: Uint8Array[];
}

/**
 * Sends one request over HTTP/1.1 or h2c with exactly the chosen bytes, and
 * decodes the answer with connect's own protocol parsers, so a test sees what
 * a real client of that protocol would see.
 */
export async function sendRaw(baseUrl: string, call: RawCall): Promise<RawOutcome> {
  const headers: Record<string, string> = { "content-type": contentType(call), ...call.headers };
  if (call.protocol === "grpc") {
    headers.te = "trailers";
  }
  const body = call.body ?? (call.protocol === "connect" ? call.message ?? new Uint8Array(0) : envelope(call.flags ?? 0, call.message ?? new Uint8Array(0)));
  const response = await (call.httpVersion === "2" ? sendHttp2 : sendHttp1)(baseUrl, call.method ?? "POST", call.path, headers, body);
  return decodeOutcome(call.protocol, response);
}

/** Frames a message in the 5-byte envelope of gRPC, gRPC-Web and Connect streaming. */
export function envelope(flags: number, message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + message.byteLength);
  framed[0] = flags;
  new DataView(framed.buffer).setUint32(1, message.byteLength);
  framed.set(message, 5);
  return framed;
}

function contentType(call: RawCall): string {
  const format = call.json === true ? "json" : "proto";
  switch (call.protocol) {
    case "connect":
      return `application/${format}`;
    case "connect-stream":
      return `application/connect+${format}`;
    case "grpc":
      return `application/grpc+${format}`;
    case "grpc-web":
      return `application/grpc-web+${format}`;
  }
}

interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly trailers: Headers;
  readonly body: Uint8Array;
}

function toHeaders(raw: http.IncomingHttpHeaders | http2.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith(":") && value !== undefined) {
      headers.set(name, Array.isArray(value) ? value.join(", ") : String(value));
    }
  }
  return headers;
}

function sendHttp1(baseUrl: string, method: string, path: string, headers: Record<string, string>, body: Uint8Array): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    // A connection of its own: a request refused before its body is read
    // leaves that connection unusable for the next one (a keep-alive reuse hangs).
    const options = { method, agent: false, headers: { ...headers, "content-length": String(body.byteLength) } };
    const req = http.request(new URL(path, baseUrl), options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.headers), trailers: new Headers(), body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function sendHttp2(baseUrl: string, method: string, path: string, headers: Record<string, string>, body: Uint8Array): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": method, ":path": path, ...headers });
    let status = 0;
    let responseHeaders = new Headers();
    let trailers = new Headers();
    const chunks: Buffer[] = [];
    stream.on("response", (raw) => {
      status = Number(raw[":status"]);
      responseHeaders = toHeaders(raw);
    });
    stream.on("trailers", (raw) => (trailers = toHeaders(raw)));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    // The answer is complete when its readable side ends: a server that
    // refuses early need not read the rest of the request.
    stream.on("end", () => {
      session.destroy();
      resolve({ status, headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

function splitEnvelopes(body: Uint8Array): { flags: number; data: Uint8Array }[] {
  const envelopes: { flags: number; data: Uint8Array }[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let offset = 0; offset + 5 <= body.byteLength; ) {
    const length = view.getUint32(offset + 1);
    envelopes.push({ flags: body[offset] ?? 0, data: body.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return envelopes;
}

function decodeOutcome(protocol: RawProtocol, response: HttpResponse): RawOutcome {
  const fallback = new ConnectError(`HTTP ${response.status}`, Code.Unknown);
  if (protocol === "connect") {
    if (response.status === 200) {
      return { status: response.status, error: undefined, messages: [response.body] };
    }
    let error = fallback;
    try {
      error = errorFromJsonBytes(response.body, response.headers, fallback);
    } catch {
      // No error body (such as a 405): the status is all there is.
    }
    return { status: response.status, error, messages: [] };
  }
  const envelopes = splitEnvelopes(response.body);
  const messages = envelopes.filter((e) => e.flags === 0).map((e) => e.data);
  let error: ConnectError | undefined;
  if (protocol === "connect-stream") {
    const end = envelopes.find((e) => e.flags === endStreamFlag);
    error = end === undefined ? (response.status === 200 ? undefined : fallback) : endStreamFromJson(end.data).error;
  } else if (protocol === "grpc-web") {
    const trailer = envelopes.find((e) => e.flags === trailerFlag);
    error = findTrailerError(trailer === undefined ? response.headers : trailerParse(trailer.data));
  } else {
    // A gRPC error before any message comes "trailers-only", in the headers.
    error = findTrailerError(response.trailers) ?? findTrailerError(response.headers);
  }
  return { status: response.status, error, messages };
}
