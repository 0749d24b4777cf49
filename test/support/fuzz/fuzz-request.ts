import fc from "fast-check";
import { compressions, envelope, framedBody } from "./framing.js";
import { fuzzedMethods, type FuzzedMethod } from "./fuzzed-methods.js";
import { headerMutations, type HeaderMutation, type HeaderSet } from "./fuzz-headers.js";
import { jsonBytes } from "./json-bytes.js";
import type { Labeled } from "./labeled.js";
import { protobufBytes } from "./protobuf-bytes.js";
import type { RawRequest } from "./raw-exchange.js";
import type { FuzzLimits } from "./run-inputs.js";

/** The protocol a request speaks, which decides how it is framed and which headers it carries. */
export type ProtocolFamily = "connect-unary" | "connect-stream" | "grpc" | "grpc-web";

/** A generated request, with what the judge needs to know about it. */
export interface FuzzRequest extends RawRequest {
  readonly family: ProtocolFamily;
  /** A valid request to this method may stream until its deadline. */
  readonly openEnded: boolean;
  /** The generators that made it, for grouping failures by cause. */
  readonly generators: readonly string[];
}

type Codec = "proto" | "json";

interface Shape {
  readonly method: FuzzedMethod;
  readonly codec: Codec;
}

function messages({ method, codec }: Shape, limits: FuzzLimits): fc.Arbitrary<Labeled<Uint8Array>> {
  return codec === "proto" ? protobufBytes(method.input, limits) : jsonBytes(method.input, limits);
}

/** A deadline header the protocol understands, on most requests for open-ended methods, on some for the rest. */
function deadline(family: ProtocolFamily, method: FuzzedMethod): fc.Arbitrary<HeaderSet> {
  const connect = family === "connect-unary" || family === "connect-stream";
  const value = method.openEnded ? (connect ? "400" : "400m") : connect ? "3000" : "3S";
  const header = { [connect ? "connect-timeout-ms" : "grpc-timeout"]: value };
  return fc.oneof({ weight: method.openEnded ? 4 : 1, arbitrary: fc.constant(header) }, { weight: 1, arbitrary: fc.constant({}) });
}

const optionalVersionHeader = fc.constantFrom<HeaderSet>({ "connect-protocol-version": "1" }, {});

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** A Connect GET: the message in the query, its parameters sometimes missing or wrong. */
function connectGetPath(path: string, codec: Codec, message: Uint8Array): fc.Arbitrary<string> {
  return fc
    .record({
      connect: fc.constantFrom("connect=v1&", "", "connect=v2&"),
      encoding: fc.constantFrom(`encoding=${codec}&`, "encoding=xml&", ""),
      text: fc.constantFrom(
        codec === "proto" ? `base64=1&message=${base64url(message)}` : `message=${encodeURIComponent(Buffer.from(message).toString("latin1"))}`,
        `message=${encodeURIComponent(Buffer.from(message).toString("latin1"))}`,
        "base64=1&message=%%%not-base64",
        "",
      ),
      compression: fc.constantFrom("", "&compression=gzip", "&compression=br"),
    })
    .map((q) => `${path}?${q.connect}${q.encoding}${q.text}${q.compression}`);
}

interface Draft {
  readonly method: string;
  readonly path: string;
  readonly headers: HeaderSet;
  readonly body: Uint8Array;
  readonly generators: readonly string[];
}

function connectUnary(shape: Shape, limits: FuzzLimits): fc.Arbitrary<Draft> {
  return fc
    .record({
      compression: compressions,
      message: messages(shape, limits),
      verb: fc.oneof({ weight: 12, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: fc.constant("GET") }, fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS")),
      version: optionalVersionHeader,
      deadline: deadline("connect-unary", shape.method),
    })
    .chain(({ compression, message, verb, version, deadline }): fc.Arbitrary<Draft> => {
      const headers: HeaderSet = {
        ...(verb === "GET" ? {} : { "content-type": `application/${shape.codec}` }),
        ...version,
        ...deadline,
        ...(compression.value.encoding === undefined ? {} : { "content-encoding": compression.value.encoding }),
      };
      const generators = [`Connect unary ${shape.codec}`, compression.label, message.label];
      if (verb !== "GET") {
        return fc.constant<Draft>({ method: verb, path: shape.method.path, headers, body: compression.value.compress(message.value), generators });
      }
      return connectGetPath(shape.method.path, shape.codec, message.value).map((path) => ({
        method: "GET",
        path,
        headers,
        body: new Uint8Array(0),
        generators: ["Connect GET", ...generators.slice(1)],
      }));
    });
}

/** Content types per enveloped protocol and codec; gRPC-Web's text forms carry the body in base64. */
const envelopedContentTypes: Record<Exclude<ProtocolFamily, "connect-unary">, Record<Codec, readonly string[]>> = {
  "connect-stream": { proto: ["application/connect+proto"], json: ["application/connect+json"] },
  grpc: { proto: ["application/grpc", "application/grpc+proto"], json: ["application/grpc+json"] },
  "grpc-web": {
    proto: ["application/grpc-web", "application/grpc-web+proto", "application/grpc-web-text", "application/grpc-web-text+proto"],
    json: ["application/grpc-web+json"],
  },
};

function enveloped(family: Exclude<ProtocolFamily, "connect-unary">, shape: Shape, limits: FuzzLimits): fc.Arbitrary<Draft> {
  return fc
    .record({
      compression: compressions,
      contentType: fc.constantFrom(...envelopedContentTypes[family][shape.codec]),
      version: optionalVersionHeader,
      deadline: deadline(family, shape.method),
    })
    .chain(({ compression, contentType, version, deadline }) =>
      framedBody(messages(shape, limits), compression.value).map((body) => {
        const encodingHeader = family === "connect-stream" ? "connect-content-encoding" : "grpc-encoding";
        const headers: HeaderSet = {
          "content-type": contentType,
          ...(family === "connect-stream" ? version : {}),
          ...(family === "grpc" ? { te: "trailers" } : {}),
          ...(family === "grpc-web" ? { "x-grpc-web": "1" } : {}),
          ...deadline,
          ...(compression.value.encoding === undefined ? {} : { [encodingHeader]: compression.value.encoding }),
        };
        const text = contentType.startsWith("application/grpc-web-text");
        return {
          method: "POST",
          path: shape.method.path,
          headers,
          body: text ? new TextEncoder().encode(Buffer.from(body.value).toString("base64")) : body.value,
          generators: [contentType, compression.label, body.label],
        };
      }),
    );
}

/**
 * Requests of one protocol over one HTTP version, to every fuzzed method:
 * valid and broken messages in both codecs, framed and compressed rightly and
 * wrongly, with up to two header mutations, and now and then a body that
 * never ends.
 */
export function fuzzRequests(family: ProtocolFamily, httpVersion: "1.1" | "2", limits: FuzzLimits): fc.Arbitrary<FuzzRequest> {
  // Most requests go to methods of the kind the protocol is for; a unary
  // protocol to a streaming method (or back) and unknown methods are rarer.
  const native = family === "connect-unary" ? "unary" : family === "connect-stream" ? "server_streaming" : undefined;
  const method = fc.oneof(
    ...fuzzedMethods.map((m) => ({ weight: native === undefined || m.kind === native ? 4 : 1, arbitrary: fc.constant(m) })),
  );
  return fc
    .record({
      method,
      codec: fc.constantFrom<Codec>("proto", "json"),
      mutations: fc.oneof(
        { weight: 3, arbitrary: fc.constant<Labeled<HeaderMutation>[]>([]) },
        { weight: 2, arbitrary: fc.array(headerMutations(httpVersion), { minLength: 1, maxLength: 2 }) },
      ),
      stall: fc.oneof({ weight: 40, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    })
    .chain(({ method, codec, mutations, stall }) =>
      (family === "connect-unary" ? connectUnary({ method, codec }, limits) : enveloped(family, { method, codec }, limits)).map(
        (draft): FuzzRequest => {
          const headers = mutations.reduce((h, m) => m.value(h, draft.body.length), draft.headers);
          const request: FuzzRequest = {
            httpVersion,
            family,
            method: draft.method,
            path: draft.path,
            headers,
            body: draft.body,
            ending: stall ? "stall" : "end",
            openEnded: method.openEnded,
            generators: [...draft.generators, ...mutations.map((m) => m.label), ...(stall ? ["body never ends"] : [])],
          };
          return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
        },
      ),
    );
}

/**
 * One valid request per health method in the protocol (empty binary
 * messages, which never reach the model): warms the server's paths up before
 * a heap baseline is taken.
 */
export function warmUpRequests(family: ProtocolFamily, httpVersion: "1.1" | "2"): FuzzRequest[] {
  const contentType = family === "connect-unary" ? "application/proto" : envelopedContentTypes[family].proto[0] ?? "";
  const headers: HeaderSet = {
    "content-type": contentType,
    ...(family === "grpc" ? { te: "trailers" } : {}),
    ...(family.startsWith("connect") ? { "connect-protocol-version": "1" } : {}),
  };
  return fuzzedMethods
    .filter((m) => m.kind === "unary" && /Health|Check|List/.test(m.path))
    .map((m) => ({
      httpVersion,
      family,
      method: "POST",
      path: m.path,
      headers,
      body: family === "connect-unary" ? new Uint8Array(0) : envelope(0, new Uint8Array(0)),
      ending: "end",
      openEnded: false,
      generators: ["warm-up"],
    }));
}

/** One line that reproduces a request: version, method, path, headers, body (hex, cut after 96 bytes). */
export function describeRequest(request: FuzzRequest): string {
  const shown = Buffer.from(request.body.subarray(0, 96)).toString("hex");
  const all = Object.entries(request.headers);
  const headers =
    all
      .slice(0, 10)
      .map(([name, value]) => `${name}: ${JSON.stringify(value.length > 80 ? `${value.slice(0, 40)}…(${value.length} chars)` : value)}`)
      .join("; ") + (all.length > 10 ? `; …(${all.length - 10} more headers)` : "");
  return (
    `HTTP/${request.httpVersion} ${request.method} ${request.path.length > 200 ? `${request.path.slice(0, 200)}…` : request.path} ` +
    `[${headers}] body ${request.body.length} B${request.ending === "stall" ? " (never ended)" : ""}: ${shown}${request.body.length > 96 ? "…" : ""} ` +
    `{${request.generators.join(" | ")}}`
  );
}
