import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { startHttpServer, type HttpServer } from "../server/http-server.js";
import { createLogger } from "../server/logger.js";
import { sendRaw, type RawProtocol } from "../server/rpc/testing/raw-rpc.js";

// Half of the surrogate pair of 😀, as text that never passed a UTF-8 check
// (such as a provider's error) can hold.
const loneSurrogate = "\uD83D";

let server: HttpServer;

beforeAll(async () => {
  server = await startHttpServer({
    host: "127.0.0.1",
    port: 0,
    interceptors: [],
    logger: createLogger({ level: "silent" }),
    routes: (router) =>
      router.service(Health, {
        check() {
          throw new ConnectError(`the provider said: ${loneSurrogate}!`, Code.Unavailable);
        },
        // eslint-disable-next-line require-yield -- fails before its first message
        async *watch() {
          throw new ConnectError(`the provider said: ${loneSurrogate}!`, Code.Unavailable);
        },
      }),
  });
});
afterAll(() => server.shutdown(0));

const cases: { protocol: RawProtocol; httpVersion: "1.1" | "2"; path: string }[] = [
  { protocol: "grpc", httpVersion: "2", path: "/grpc.health.v1.Health/Check" },
  { protocol: "grpc", httpVersion: "2", path: "/grpc.health.v1.Health/Watch" },
  { protocol: "grpc-web", httpVersion: "1.1", path: "/grpc.health.v1.Health/Check" },
  { protocol: "grpc-web", httpVersion: "2", path: "/grpc.health.v1.Health/Watch" },
];

describe("an error message with a lone surrogate hung gRPC calls (encodeURIComponent threw in connect-es); it is sent with U+FFFD", () => {
  it.each(cases)("$path over $protocol HTTP/$httpVersion", async ({ protocol, httpVersion, path }) => {
    const outcome = await sendRaw(server.url, { protocol, httpVersion, path, message: new Uint8Array(0) });
    expect(outcome.error?.code).toBe(Code.Unavailable);
    expect(outcome.error?.rawMessage).toBe("the provider said: \uFFFD!");
  });

  it("sends the same message over Connect, whose JSON error body could have carried the surrogate", async () => {
    const outcome = await sendRaw(server.url, { protocol: "connect", httpVersion: "1.1", path: "/grpc.health.v1.Health/Check", message: new Uint8Array(0) });
    expect(outcome.error?.code).toBe(Code.Unavailable);
    expect(outcome.error?.rawMessage).toBe("the provider said: \uFFFD!");
  });
});
