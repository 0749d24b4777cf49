import fc from "fast-check";
import { labeled, type Labeled } from "./labeled.js";

/** Request headers, lower-case names to values. */
export type HeaderSet = Readonly<Record<string, string>>;

/** A change to a request's headers, applied after the protocol's own; it may depend on the body's length. */
export type HeaderMutation = (headers: HeaderSet, bodyLength: number) => HeaderSet;

const set =
  (name: string, value: string): HeaderMutation =>
  (headers) => ({ ...headers, [name]: value });

/** Header values Node sends as they are: tab, printable ASCII and Latin-1. */
const headerValue = (maxLength: number) =>
  fc.string({
    maxLength,
    unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }), fc.constant(0x09)).map((c) => String.fromCharCode(c)),
  });

const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,24}$/);

const oddContentTypes = fc.oneof(
  fc.constantFrom(
    "",
    "text/plain",
    "application/octet-stream",
    "application/JSON",
    "application/json; charset=latin1",
    "application/json;charset=utf-8",
    "application/proto; charset=utf-8",
    "application/protobuf",
    "application/x-protobuf",
    "application/connect+xml",
    "application/connect+json;foo=bar",
    "application/connect",
    "application/grpc-web-text+json",
    "application/grpc-web+xml",
    "multipart/form-data; boundary=x",
    "application/json, application/proto",
  ),
  headerValue(40),
);

/**
 * Header changes: bad and extreme deadlines, odd content types and protocol
 * versions, garbage trace context, huge and many headers, reserved names, and
 * random names and values. HTTP/2 gets none of the connection-specific
 * headers it forbids (Node's client refuses to send them); HTTP/1.1 also gets
 * a content-length beyond the body, which only a request timeout answers.
 */
export function headerMutations(httpVersion: "1.1" | "2"): fc.Arbitrary<Labeled<HeaderMutation>> {
  const common: fc.Arbitrary<Labeled<HeaderMutation>>[] = [
    labeled(
      "bad grpc-timeout",
      fc
        .oneof(fc.constantFrom("abc", "1x", "", "999999999H", "-1S", "0n", "1", "99999999H", "1.5S", " 1S", "00000001m"), headerValue(12))
        .map((v) => set("grpc-timeout", v)),
    ),
    labeled(
      "bad connect-timeout-ms",
      fc
        .oneof(fc.constantFrom("abc", "-1", "0", "99999999999", "9999999999", "1.5", " 100", "1e3", "+5", "0x10"), headerValue(12))
        .map((v) => set("connect-timeout-ms", v)),
    ),
    labeled("odd content-type", oddContentTypes.map((v) => set("content-type", v))),
    labeled("odd connect-protocol-version", fc.constantFrom("2", "0", "garbage", "", "1, 1").map((v) => set("connect-protocol-version", v))),
    labeled(
      "response compression asked",
      fc
        .tuple(fc.constantFrom("accept-encoding", "connect-accept-encoding", "grpc-accept-encoding"), fc.constantFrom("gzip", "br", "x-garbage", "gzip;q=0", "*"))
        .map(([name, v]) => set(name, v)),
    ),
    labeled(
      "garbage traceparent",
      fc
        .oneof(
          fc.constantFrom(
            "00-zzzz",
            "00-00000000000000000000000000000000-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
            "",
          ),
          headerValue(200),
          fc.integer({ min: 4_000, max: 8_000 }).map((n) => "0".repeat(n)),
        )
        .chain((traceparent) => headerValue(100).map((tracestate) => ({ traceparent, tracestate })))
        .map(({ traceparent, tracestate }) => (h: HeaderSet) => ({ ...h, traceparent, tracestate, baggage: tracestate })),
    ),
    labeled(
      "a huge header",
      fc.integer({ min: 20_000, max: 40_000 }).map((n) => set("x-fuzz-padding", "p".repeat(n))),
    ),
    labeled(
      "many headers",
      fc.integer({ min: 100, max: 300 }).map((n) => (h: HeaderSet) => {
        const many: Record<string, string> = { ...h };
        for (let i = 0; i < n; i++) {
          many[`x-fuzz-${i}`] = String(i);
        }
        return many;
      }),
    ),
    labeled(
      "reserved headers from the client",
      fc
        .tuple(fc.constantFrom("grpc-status", "grpc-message", "grpc-status-details-bin", "connect-content-encoding", "x-grpc-web"), headerValue(30))
        .map(([name, v]) => set(name, v)),
    ),
    labeled(
      "garbage credentials and agents",
      fc
        .tuple(fc.constantFrom("authorization", "user-agent", "x-user-agent", "cookie"), headerValue(60))
        .map(([name, v]) => set(name, v)),
    ),
    labeled("random header", fc.tuple(headerName, headerValue(80)).map(([name, v]) => set(name, v))),
    labeled(
      "a protocol header removed",
      fc.constantFrom("content-type", "te", "connect-protocol-version", "x-grpc-web").map((name) => (h: HeaderSet) => Object.fromEntries(Object.entries(h).filter(([key]) => key !== name))),
    ),
  ];
  if (httpVersion === "1.1") {
    common.push(
      labeled(
        "content-length beyond the body",
        fc.integer({ min: 1, max: 1_000 }).map((extra) => (h: HeaderSet, bodyLength: number) => ({ ...h, "content-length": String(bodyLength + extra) })),
      ),
    );
  }
  return fc.oneof(...common);
}
