import { create, fromJsonString, toBinary, type DescMethod } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { gzipSync } from "node:zlib";
import * as http from "node:http";
import * as http2 from "node:http2";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService, ExecuteRequestSchema, ExecuteResponseSchema } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { envelope, sendRaw, type RawCall, type RawProtocol } from "../server/rpc/testing/raw-rpc.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The defaults under test: 6 bytes per allowed input character plus 64 KiB,
// and a JSON nesting depth of 32.
const maxInputChars = 32_768;
const maxRequestBytes = 6 * maxInputChars + 64 * 1024;
const maxJsonDepth = 32;

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ AGENT_CACHE: "off" });
});
afterAll(() => svc.close());

const utf8 = new TextEncoder();

/** Every method the service serves, with its path. */
const methods = [AgentService, Health].flatMap((service) =>
  service.methods.map((method: DescMethod) => ({
    name: `${service.typeName}/${method.name}`,
    path: `/${service.typeName}/${method.name}`,
    streaming: method.methodKind === "server_streaming",
    // Field 1 is a string in these requests: ExecuteRequest.input, StreamRequest.input, HealthCheckRequest.service.
    stringField: method.input.fields.find((f) => f.number === 1 && f.fieldKind === "scalar")?.name,
  })),
);

/** Each protocol on each HTTP version that serves it (gRPC needs HTTP/2). */
function transports(streaming: boolean): { protocol: RawProtocol; httpVersion: "1.1" | "2" }[] {
  const connect: RawProtocol = streaming ? "connect-stream" : "connect";
  return [
    { protocol: connect, httpVersion: "1.1" },
    { protocol: connect, httpVersion: "2" },
    { protocol: "grpc", httpVersion: "2" },
    { protocol: "grpc-web", httpVersion: "1.1" },
    { protocol: "grpc-web", httpVersion: "2" },
  ];
}

const cases = methods.flatMap((method) =>
  transports(method.streaming).map((transport) => ({ ...method, ...transport, label: `${method.name} over ${transport.protocol} HTTP/${transport.httpVersion}` })),
);

async function refusal(call: RawCall): Promise<ConnectError> {
  const outcome = await sendRaw(svc.url, call);
  if (outcome.error === undefined) {
    throw new Error(`expected ${call.path} to fail, got HTTP ${outcome.status} with ${outcome.messages.length} messages`);
  }
  return outcome.error;
}

function detailOf(err: ConnectError) {
  const [detail] = err.findDetails(ErrorDetailSchema);
  if (detail === undefined) {
    throw new Error(`no agent.v1.ErrorDetail on ${err.message}`);
  }
  return detail;
}

describe("undecodable protobuf was INTERNAL with no detail; it is INVALID_ARGUMENT saying what is wrong", () => {
  // A length-delimited field 1 that promises 5 bytes and carries 1: broken for every input type.
  const truncated = new Uint8Array([0x0a, 0x05, 0x61]);
  // Field number 0 is never valid.
  const illegalTag = new Uint8Array([0x02, 0x00]);

  it.each(cases)("a truncated message: $label", async ({ path, protocol, httpVersion }) => {
    const err = await refusal({ protocol, httpVersion, path, message: truncated });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/does not decode: not a valid [\w.]+ in the Protobuf binary format \(premature EOF\)/);
    expect(detailOf(err).reason).toBe("UNDECODABLE_REQUEST");
  });

  it.each(cases.filter((c) => c.protocol === "grpc"))("an illegal tag: $label", async ({ path, protocol, httpVersion }) => {
    const err = await refusal({ protocol, httpVersion, path, message: illegalTag });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/illegal tag/);
    expect(detailOf(err).reason).toBe("UNDECODABLE_REQUEST");
  });

  it.each(cases.filter((c) => c.stringField !== undefined))(
    "invalid UTF-8 in a string field names the field: $label",
    async ({ path, protocol, httpVersion, stringField }) => {
      // "SECRET-TASK" then 0xC3 0x28, which is not UTF-8.
      const text = [...utf8.encode("SECRET-TASK"), 0xc3, 0x28];
      const err = await refusal({ protocol, httpVersion, path, message: new Uint8Array([0x0a, text.length, ...text]) });
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe(`invalid request: the message does not decode: ${stringField}: is not valid UTF-8`);
      const detail = detailOf(err);
      expect(detail.reason).toBe("UNDECODABLE_REQUEST");
      expect(detail.fieldViolations.map((v) => [v.field, v.description])).toEqual([[stringField, "is not valid UTF-8"]]);
    },
  );

  it("looks inside a gzip-compressed gRPC message", async () => {
    const err = await refusal({
      protocol: "grpc",
      httpVersion: "2",
      path: "/agent.v1.AgentService/Execute",
      flags: 1,
      message: gzipSync(truncated),
      headers: { "grpc-encoding": "gzip" },
    });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(detailOf(err).reason).toBe("UNDECODABLE_REQUEST");
  });

  it("logs each refusal with the method and reason, never the content", async () => {
    const text = [...utf8.encode("SECRET-TASK"), 0xc3, 0x28];
    await refusal({ protocol: "connect", httpVersion: "1.1", path: "/agent.v1.AgentService/Execute", message: new Uint8Array([0x0a, text.length, ...text]) });
    const lines = svc.logs.filter((l) => typeof l.msg === "string" && l.msg.startsWith("refused a request message"));
    expect(lines).toContainEqual(
      expect.objectContaining({ rpc: "/agent.v1.AgentService/Execute", protocol: "connect", code: "InvalidArgument", reason: "UNDECODABLE_REQUEST" }),
    );
    expect(JSON.stringify(svc.logs)).not.toContain("SECRET-TASK");
  });

  it.each(cases.filter((c) => c.name.endsWith("/Health") || c.name.endsWith("/Check")))(
    "valid messages still pass unchanged: $label",
    async ({ path, protocol, httpVersion }) => {
      const outcome = await sendRaw(svc.url, { protocol, httpVersion, path, message: new Uint8Array(0) });
      expect(outcome.error).toBeUndefined();
      expect(outcome.messages).toHaveLength(1);
    },
  );
});

/** JSON protocols, each on one HTTP version, with a method of the right kind. */
const jsonCases: { protocol: RawProtocol; httpVersion: "1.1" | "2"; path: string }[] = [
  { protocol: "connect", httpVersion: "1.1", path: "/agent.v1.AgentService/Execute" },
  { protocol: "connect-stream", httpVersion: "2", path: "/agent.v1.AgentService/Stream" },
  { protocol: "grpc", httpVersion: "2", path: "/agent.v1.AgentService/Execute" },
  { protocol: "grpc-web", httpVersion: "1.1", path: "/agent.v1.AgentService/Stream" },
];

describe("invalid UTF-8 in JSON was silently replaced; it is INVALID_ARGUMENT", () => {
  it.each(jsonCases)("over $protocol HTTP/$httpVersion", async ({ protocol, httpVersion, path }) => {
    const message = new Uint8Array([...utf8.encode('{"input":"caf'), 0xe9, ...utf8.encode('"}')]);
    const err = await refusal({ protocol, httpVersion, path, json: true, message });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe("invalid request: the message does not decode: the JSON text is not valid UTF-8");
    expect(detailOf(err).reason).toBe("UNDECODABLE_REQUEST");
  });
});

describe("deep JSON blocked the event loop; it is refused before it is parsed", () => {
  const nested = (depth: number) => `{"unknown":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;

  it.each(jsonCases)("JSON deeper than HTTP_MAX_JSON_DEPTH over $protocol HTTP/$httpVersion", async ({ protocol, httpVersion, path }) => {
    const err = await refusal({ protocol, httpVersion, path, json: true, message: utf8.encode(nested(maxJsonDepth + 1)) });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(`invalid request: JSON nests arrays and objects deeper than ${maxJsonDepth} levels (HTTP_MAX_JSON_DEPTH)`);
    expect(detailOf(err).reason).toBe("JSON_TOO_DEEP");
  });

  it("accepts JSON exactly HTTP_MAX_JSON_DEPTH deep", async () => {
    const outcome = await sendRaw(svc.url, {
      protocol: "connect",
      httpVersion: "1.1",
      path: "/agent.v1.AgentService/Health",
      json: true,
      message: utf8.encode(nested(maxJsonDepth)),
    });
    expect(outcome.error).toBeUndefined();
  });

  it("refuses 200 KB of unclosed brackets for depth, not as a syntax error: the scan runs before the parser", async () => {
    const err = await refusal({
      protocol: "connect",
      httpVersion: "2",
      path: "/agent.v1.AgentService/Health",
      json: true,
      message: utf8.encode("[".repeat(200_000)),
    });
    expect(detailOf(err).reason).toBe("JSON_TOO_DEEP");
  });

  it("does not count brackets inside strings", async () => {
    const outcome = await sendRaw(svc.url, {
      protocol: "connect",
      httpVersion: "1.1",
      path: "/agent.v1.AgentService/Health",
      json: true,
      message: utf8.encode(JSON.stringify({ unknown: `\\"${"[".repeat(1_000)}` })),
    });
    expect(outcome.error).toBeUndefined();
  });
});

describe("a request over HTTP_MAX_REQUEST_BYTES is RESOURCE_EXHAUSTED naming the setting", () => {
  const tooLargeBinary = toBinary(ExecuteRequestSchema, create(ExecuteRequestSchema, { input: "x".repeat(maxRequestBytes) }));
  const tooLargeJson = utf8.encode(JSON.stringify({ input: "x".repeat(maxRequestBytes) }));

  it.each(
    cases
      .filter((c) => c.name === "agent.v1.AgentService/Execute" || c.name === "agent.v1.AgentService/Stream")
      .flatMap((c) => [
        { ...c, json: false, message: tooLargeBinary },
        { ...c, json: true, message: tooLargeJson },
      ]),
  )("$label, json: $json", async ({ path, protocol, httpVersion, json, message }) => {
    const err = await refusal({ protocol, httpVersion, path, json, message });
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(new RegExp(`^request message too large: .*the limit is ${maxRequestBytes} bytes \\(HTTP_MAX_REQUEST_BYTES\\)$`));
    expect(detailOf(err).reason).toBe("REQUEST_TOO_LARGE");
  });

  it("a compressed message that inflates past the cap", async () => {
    const inflated = toBinary(ExecuteRequestSchema, create(ExecuteRequestSchema, { input: "x".repeat(maxRequestBytes) }));
    const err = await refusal({
      protocol: "grpc",
      httpVersion: "2",
      path: "/agent.v1.AgentService/Execute",
      flags: 1,
      message: gzipSync(inflated),
      headers: { "grpc-encoding": "gzip" },
    });
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(/HTTP_MAX_REQUEST_BYTES/);
  });

  it("accepts a JSON body of exactly the cap holding the longest input, every character escaped", async () => {
    // \u00e9 is the longest way JSON spells a character; the default cap is sized for it.
    const json = `{"input":"${"\\u00e9".repeat(maxInputChars)}"}`;
    const body = json + " ".repeat(maxRequestBytes - json.length);
    expect(utf8.encode(body).byteLength).toBe(maxRequestBytes);
    const outcome = await sendRaw(svc.url, { protocol: "connect", httpVersion: "1.1", path: "/agent.v1.AgentService/Execute", json: true, message: utf8.encode(body) });
    expect(outcome.error).toBeUndefined();
    const [response] = outcome.messages;
    expect(fromJsonString(ExecuteResponseSchema, new TextDecoder().decode(response)).runId).not.toBe("");
  });

  it("accepts a binary message of exactly the cap holding the longest input", async () => {
    const message = toBinary(ExecuteRequestSchema, create(ExecuteRequestSchema, { input: "€".repeat(maxInputChars) }));
    // Pad with an unknown bytes field (number 15, a 3-byte length) to exactly the cap.
    const padding = maxRequestBytes - message.byteLength - 4;
    const padded = new Uint8Array(maxRequestBytes);
    padded.set(message);
    padded.set([(15 << 3) | 2, (padding & 0x7f) | 0x80, ((padding >> 7) & 0x7f) | 0x80, padding >> 14], message.byteLength);
    const outcome = await sendRaw(svc.url, { protocol: "grpc", httpVersion: "2", path: "/agent.v1.AgentService/Execute", message: padded });
    expect(outcome.error).toBeUndefined();
    expect(outcome.messages).toHaveLength(1);
  });
});

describe("a Duration with nanos: 2e9 was accepted; max_execution_time needs nanos in 0..999,999,999", () => {
  it("refuses 2e9 nanos sent in binary, naming the field", async () => {
    const message = toBinary(
      ExecuteRequestSchema,
      create(ExecuteRequestSchema, { input: "hi", maxExecutionTime: { seconds: 1n, nanos: 2_000_000_000 } }),
    );
    const err = await refusal({ protocol: "connect", httpVersion: "2", path: "/agent.v1.AgentService/Execute", message });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(detailOf(err).fieldViolations.map((v) => v.field)).toEqual(["max_execution_time"]);
    expect(err.rawMessage).toMatch(/max_execution_time: nanos must be at most 999,999,999 .*got 2000000000/);
  });

  it("accepts JSON \"1.5s\"", async () => {
    const outcome = await sendRaw(svc.url, {
      protocol: "connect",
      httpVersion: "1.1",
      path: "/agent.v1.AgentService/Execute",
      json: true,
      message: utf8.encode('{"input":"hi","maxExecutionTime":"1.5s"}'),
    });
    expect(outcome.error).toBeUndefined();
  });

  it("refuses JSON that spells nanos out, as JSON Durations are strings", async () => {
    const err = await refusal({
      protocol: "connect",
      httpVersion: "1.1",
      path: "/agent.v1.AgentService/Execute",
      json: true,
      message: utf8.encode('{"input":"hi","maxExecutionTime":{"seconds":1,"nanos":2000000000}}'),
    });
    expect(err.code).toBe(Code.InvalidArgument);
  });
});

describe("the Connect GET path carries no message past these checks", () => {
  it.each(methods)("GET is not routed for $name", async ({ path }) => {
    const outcome = await sendRaw(svc.url, {
      protocol: "connect",
      httpVersion: "1.1",
      method: "GET",
      path: `${path}?connect=v1&encoding=json&message=${encodeURIComponent("[".repeat(100))}`,
      body: new Uint8Array(0),
    });
    expect(outcome.status).toBe(405);
  });
});

describe("a refused request whose body was not read", () => {
  it("leaves its HTTP/1.1 keep-alive connection usable (regression: the next request on it hung)", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = (path: string, headers: Record<string, string>, body: Buffer) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; socket: unknown }>((resolve, reject) => {
        const req = http.request(new URL(path, svc.url), { method: "POST", agent, headers: { ...headers, "content-length": String(body.byteLength) } }, (res) => {
          res.resume();
          res.once("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket: req.socket }));
        });
        req.once("error", reject);
        req.end(body);
      });
    try {
      // A gRPC-Web envelope declaring more than the cap: refused before its body is read.
      const oversized = Buffer.alloc(5 + 300 * 1024);
      oversized.writeUInt32BE(300 * 1024, 1);
      const first = await post("/agent.v1.AgentService/Execute", { "content-type": "application/grpc-web+proto" }, oversized);
      expect(first.status).toBe(200);
      const second = await post(
        "/agent.v1.AgentService/Health",
        { "content-type": "application/json", "connect-protocol-version": "1" },
        Buffer.from("{}"),
      );
      expect(second.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});

/** The enveloped protocols on each HTTP version that serves them, each with a method of the right kind. */
const envelopedCases: { protocol: RawProtocol; httpVersion: "1.1" | "2"; path: string; encodingHeader: string }[] = [
  { protocol: "grpc", httpVersion: "2", path: "/grpc.health.v1.Health/Check", encodingHeader: "grpc-encoding" },
  { protocol: "grpc-web", httpVersion: "1.1", path: "/grpc.health.v1.Health/Check", encodingHeader: "grpc-encoding" },
  { protocol: "grpc-web", httpVersion: "2", path: "/agent.v1.AgentService/Execute", encodingHeader: "grpc-encoding" },
  { protocol: "connect-stream", httpVersion: "1.1", path: "/grpc.health.v1.Health/Watch", encodingHeader: "connect-content-encoding" },
  { protocol: "connect-stream", httpVersion: "2", path: "/agent.v1.AgentService/Stream", encodingHeader: "connect-content-encoding" },
];
const withFormats = envelopedCases.flatMap((c) => [
  { ...c, json: false, label: `${c.protocol}+proto HTTP/${c.httpVersion}` },
  { ...c, json: true, label: `${c.protocol}+json HTTP/${c.httpVersion}` },
]);

describe("envelope flags a client may not send were INTERNAL; they are INVALID_ARGUMENT naming the flags", () => {
  const flagCases = withFormats.flatMap((c) =>
    [0x80, 0x02, 0x52].map((flags) => ({ ...c, flags, hexFlags: `0x${flags.toString(16).padStart(2, "0")}` })),
  );
  it.each(flagCases)("flags $hexFlags over $label", async ({ protocol, httpVersion, path, json, flags, hexFlags }) => {
    const message = json ? utf8.encode("{}") : new Uint8Array([0x0a, 0x01, 0x61]);
    const err = await refusal({ protocol, httpVersion, path, json, flags, message });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(
      `invalid request: the message does not decode: the envelope flags are ${hexFlags}; a request message may only set 0x01 (compressed)`,
    );
    expect(detailOf(err).reason).toBe("UNDECODABLE_REQUEST");
  });
});

describe("a compressed envelope without a negotiated encoding was INTERNAL; it is INVALID_ARGUMENT naming the missing header", () => {
  it.each(withFormats)("$label", async ({ protocol, httpVersion, path, json, encodingHeader }) => {
    const err = await refusal({ protocol, httpVersion, path, json, flags: 1, message: new Uint8Array([0]) });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(
      `invalid request: the message does not decode: the message is marked compressed (envelope flags 0x01), but the request has no ${encodingHeader} header naming its encoding`,
    );
    expect(detailOf(err).reason).toBe("UNDECODABLE_REQUEST");
  });
});

describe("a compressed message that is not gzip was INTERNAL (decompression failed); it is INVALID_ARGUMENT", () => {
  const gzipped = gzipSync(utf8.encode("{}"));
  // Not gzip at all; gzip cut short (zlib's "unexpected end of file", which connect maps to INTERNAL).
  const notGzip = [
    { what: "no gzip header", payload: new Uint8Array([0x0a, 0x01, 0x61]) },
    { what: "truncated gzip", payload: gzipped.subarray(0, gzipped.byteLength - 6) },
  ];
  it.each(withFormats.flatMap((c) => notGzip.map((n) => ({ ...c, ...n }))))("$what over $label", async ({ protocol, httpVersion, path, json, encodingHeader, payload }) => {
    const err = await refusal({ protocol, httpVersion, path, json, flags: 1, message: payload, headers: { [encodingHeader]: "gzip" } });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(`invalid request: the message does not decode: the message is not valid gzip (${encodingHeader}: gzip)`);
    expect(detailOf(err).reason).toBe("UNDECODABLE_REQUEST");
  });

  it.each([
    { json: false, body: truncatedGzip(new Uint8Array([0x0a, 0x01, 0x61])) },
    { json: true, body: truncatedGzip(utf8.encode("{}")) },
  ])("over Connect unary, json: $json", async ({ json, body }) => {
    const err = await refusal({ protocol: "connect", httpVersion: "1.1", path: "/agent.v1.AgentService/Health", json, message: body, headers: { "content-encoding": "gzip" } });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe("invalid request: the message does not decode: the message is not valid gzip (content-encoding: gzip)");
  });

  it.each(withFormats.filter((c) => c.path.endsWith("/Check")))(
    "a valid gzip message still passes: $label",
    async ({ protocol, httpVersion, path, json, encodingHeader }) => {
      const message = json ? utf8.encode("{}") : new Uint8Array(0);
      const outcome = await sendRaw(svc.url, { protocol, httpVersion, path, json, flags: 1, message: gzipSync(message), headers: { [encodingHeader]: "gzip" } });
      expect(outcome.error).toBeUndefined();
      expect(outcome.messages).toHaveLength(1);
    },
  );
});

function truncatedGzip(bytes: Uint8Array): Uint8Array {
  const gzipped = gzipSync(bytes);
  return gzipped.subarray(0, gzipped.byteLength - 6);
}

describe("a JSON syntax error quoting an emoji hung gRPC calls (a lone surrogate in grpc-message); it is INVALID_ARGUMENT", () => {
  const grpcJson = [
    { protocol: "grpc" as const, httpVersion: "2" as const },
    { protocol: "grpc-web" as const, httpVersion: "1.1" as const },
    { protocol: "grpc-web" as const, httpVersion: "2" as const },
  ];
  const texts = [
    // V8: Unexpected token '\ud83d', "😀" is not valid JSON: half of the emoji's surrogate pair.
    { what: "an emoji first", text: "😀" },
    { what: "an emoji as a value", text: '{"input":😀}' },
  ];
  it.each(grpcJson.flatMap((t) => texts.map((x) => ({ ...t, ...x }))))("$what over $protocol HTTP/$httpVersion", async ({ protocol, httpVersion, text }) => {
    const err = await refusal({ protocol, httpVersion, path: "/agent.v1.AgentService/Execute", json: true, message: utf8.encode(text) });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe("invalid request: the message does not decode: the text is not valid JSON");
    expect(detailOf(err).reason).toBe("UNDECODABLE_REQUEST");
  });

  it.each([
    { what: "a value", text: '{"service":"\\ud83d"}' },
    { what: "a key", text: '{"\\udc00":1}' },
  ])("a JSON string escaping a lone surrogate in $what is refused, as no UTF-8 text holds one", async ({ text }) => {
    // Health's NOT_FOUND quotes the service name, and protobuf-es quotes unknown keys.
    const err = await refusal({ protocol: "grpc", httpVersion: "2", path: "/grpc.health.v1.Health/Check", json: true, message: utf8.encode(text) });
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/escapes a lone surrogate/);
  });

  it("accepts an escaped surrogate pair", async () => {
    const outcome = await sendRaw(svc.url, {
      protocol: "grpc",
      httpVersion: "2",
      path: "/agent.v1.AgentService/Health",
      json: true,
      message: utf8.encode('{"unknown":"\\ud83d\\ude00"}'),
    });
    expect(outcome.error).toBeUndefined();
  });
});

describe("an HTTP/2 stream answered before its request body was read", () => {
  it("is reset with NO_ERROR, so the client's session.close() completes (regression: it waited for the request timeout)", async () => {
    const session = http2.connect(svc.url);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/agent.v1.AgentService/Stream", "content-type": "application/connect+json" });
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      // A first message that is not JSON, refused at once, then one the server
      // never reads, larger than the stream's initial 64 KiB flow-control
      // window, so that the client cannot finish sending it (32,000 bytes fit,
      // and the request ends).
      stream.write(envelope(0, utf8.encode('{"inp')));
      stream.end(envelope(0, new Uint8Array(200_000).fill(0x20)));
      const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      expect(headers[":status"]).toBe(200);
      await once(stream, "close");
      expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
      const endStream = Buffer.concat(chunks);
      expect(endStream[0]).toBe(0x02);
      expect(JSON.parse(endStream.subarray(5).toString("utf8"))).toMatchObject({ error: { code: "invalid_argument" } });
      const closed = once(session, "close");
      session.close();
      await closed;
    } finally {
      session.destroy();
    }
  }, 10_000);
});
