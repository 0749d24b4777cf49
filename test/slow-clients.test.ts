import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { once, type EventEmitter } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AgentService, StreamRequestSchema, type StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { StopReason } from "../gen/agent/v1/run_pb.js";
import { startTestService, type TestService } from "./support/test-service.js";

const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// Short bounds, so the test sees each one hit; the slow clients trickle far more slowly in all.
const slowClientLimits = {
  HTTP_PREFACE_TIMEOUT_MS: "500",
  HTTP_HEADERS_TIMEOUT_MS: "500",
  HTTP_REQUEST_TIMEOUT_MS: "1000",
  HTTP_IDLE_TIMEOUT_MS: "1000",
};
const connectionsPerKind = 50;

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

/**
 * Resolves when `emitter` closes, whether or not an 'error' came first (a
 * reset is a close too); `events.once` would reject on the 'error'.
 */
function closeOf(emitter: EventEmitter): Promise<void> {
  return new Promise((resolve) => emitter.once("close", () => resolve()));
}

/** A raw TCP connection to the service, its bytes received and a promise of its close. */
async function rawConnection(url: string): Promise<{ socket: net.Socket; received: () => string; closed: Promise<unknown> }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = "";
  socket.setEncoding("latin1").on("data", (text: string) => (received += text));
  // The server may end the connection with a reset; that is a close too.
  socket.on("error", () => undefined);
  const closed = closeOf(socket);
  await once(socket, "connect");
  return { socket, received: () => received, closed };
}

/** Writes `text` one byte per `everyMs` until it is sent or the socket closes: a client too slow in all, never idle. */
function trickle(socket: net.Socket, text: string, everyMs = 100): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) {
      clearInterval(timer);
      return;
    }
    socket.write(text[at++] ?? "");
  }, everyMs);
  socket.once("close", () => clearInterval(timer));
}

describe("slow and idle clients", () => {
  it(
    "closes slowloris connections of every kind within their bounds while serving RPCs and long streams (regression: no connection timeouts)",
    async () => {
      // Chunks 60 ms apart make every Stream last well beyond the idle and request timeouts.
      svc = await startTestService(slowClientLimits, { simulator: { chunkDelayMs: 60 } });
      const url = svc.url;
      const closures: Promise<unknown>[] = [];
      const answers: (() => string)[] = [];

      for (let i = 0; i < connectionsPerKind; i++) {
        // HTTP/1.1 headers one byte at a time: the headers timeout (408).
        const headers = await rawConnection(url);
        trickle(headers.socket, `POST /agent.v1.AgentService/Execute HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\r\n`);
        closures.push(headers.closed);
        answers.push(headers.received);

        // A body that stalls after its headers: the request timeout (408).
        const body = await rawConnection(url);
        body.socket.write(
          `POST /agent.v1.AgentService/Execute HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"input":`,
        );
        closures.push(body.closed);
        answers.push(body.received);

        // The HTTP/2 preface one byte at a time: the preface timeout.
        const preface = await rawConnection(url);
        trickle(preface.socket, http2Preface);
        closures.push(preface.closed);

        // An HTTP/2 session that opens no stream: the idle timeout (GOAWAY).
        const idle = http2.connect(url);
        idle.on("error", () => undefined);
        closures.push(closeOf(idle));

        // An HTTP/2 stream whose request never ends: the request timeout (RST_STREAM).
        const unfinished = http2.connect(url);
        unfinished.on("error", () => undefined);
        const stream = unfinished.request(
          { ":method": "POST", ":path": "/agent.v1.AgentService/Execute", "content-type": "application/proto" },
          { endStream: false },
        );
        stream.on("error", () => undefined);
        closures.push(
          closeOf(stream).then(() => {
            expect(stream.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
            unfinished.close();
          }),
        );
      }

      // Meanwhile, ordinary RPCs are served, and Streams being read outlive every timeout.
      const connect = createClient(AgentService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
      const connectHttp1 = createClient(AgentService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
      const grpc = createClient(AgentService, createGrpcTransport({ baseUrl: url }));
      const readStream = async (client: typeof connect) => {
        const started = Date.now();
        const events: StreamResponse[] = [];
        for await (const event of client.stream({ input: "Please tell me a long story about a slow client" })) {
          events.push(event);
        }
        return { events, tookMs: Date.now() - started };
      };
      const [h2Stream, h1Stream, grpcStream, execute] = await Promise.all([
        readStream(connect),
        readStream(connectHttp1),
        readStream(grpc),
        grpc.execute({ input: "What is 17 * 23?" }),
        ...closures,
      ]);
      expect(execute.stopReason).toBe(StopReason.FINAL_ANSWER);
      for (const stream of [h2Stream, h1Stream, grpcStream]) {
        expect(stream.events.at(-1)?.event.case).toBe("runCompleted");
        // Proof that the stream was open longer than the idle and request timeouts.
        expect(stream.tookMs).toBeGreaterThan(Number(slowClientLimits.HTTP_IDLE_TIMEOUT_MS));
      }
      for (const answer of answers) {
        expect(answer()).toMatch(/^HTTP\/1\.1 408 /);
      }
    },
    30_000,
  );

  it.each([
    { what: "a request head of 20 KB", head: `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`, status: 431 },
    { what: "a malformed request line", head: "GET /healthz HTTP/9.x\r\nhost: x\r\n\r\n", status: 400 },
  ])(
    "answers $what with $status, then closes (regression: headers of 16 KB got a TCP reset instead of 431)",
    async ({ head, status }) => {
      svc = await startTestService();
      const connection = await rawConnection(svc.url);
      connection.socket.write(head);
      await connection.closed;
      expect(connection.received()).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    },
  );
});

describe("stalled readers", () => {
  it("resets a Stream whose client stopped reading, logs it, and frees its run slot (regression: stalled readers held slots)", async () => {
    svc = await startTestService({
      HTTP_STALLED_READER_TIMEOUT_MS: "500",
      AGENT_MAX_CONCURRENT_RUNS: "1",
      AGENT_MAX_QUEUED_RUNS: "0",
      AGENT_MAX_ITERATIONS_CAP: "1000",
    });
    // A client whose stream window is 0: not one byte of the response leaves the server.
    const session = http2.connect(svc.url, { settings: { initialWindowSize: 0 } });
    session.on("error", () => undefined);
    // "#loop" makes the model call a tool on every turn: a long, fast stream of events.
    const message = toBinary(StreamRequestSchema, create(StreamRequestSchema, { input: "#loop What is 1 + 1?", maxIterations: 1000 }));
    const envelope = Buffer.alloc(5 + message.length);
    envelope.writeUInt32BE(message.length, 1);
    envelope.set(message, 5);
    const stream = session.request({
      ":method": "POST",
      ":path": "/agent.v1.AgentService/Stream",
      "content-type": "application/connect+proto",
    });
    const closed = closeOf(stream);
    stream.on("error", () => undefined);
    stream.end(envelope);
    await closed;
    expect(stream.rstCode).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    expect(svc.logs).toContainEqual(expect.objectContaining({ level: "warn", msg: "client stopped reading its response: RPC cut" }));
    session.close();

    // The only slot is free again: with no queue, a run still holding it would be refused at once.
    const client = createClient(AgentService, createConnectTransport({ baseUrl: svc.url, httpVersion: "2" }));
    const res = await client.execute({ input: "What is 17 * 23?" });
    expect(res.output).toContain("391");
  });
});
