import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { once } from "node:events";
import { connect } from "node:net";
import { StreamRequestSchema, StreamResponseSchema, type StreamResponse } from "../../../gen/agent/v1/agent_service_pb.js";

/**
 * A minimal HTTP/2 (h2c) client for Connect server-streaming calls that holds
 * the connection-level flow-control window shut until told to open it, and
 * can stop reading its socket: what node:http2 and connect-node cannot do.
 *
 * Every stream's window is as large as HTTP/2 allows, but the connection's
 * stays at the initial 65,535 bytes, so once that much has been sent the
 * server keeps every further DATA frame queued in its session. Opening the
 * window then makes the server write all of them in one go; each stream's
 * END_STREAM follows once that write is done. The response headers' HPACK
 * block is skipped, not decoded: the Connect envelopes say how a call ended.
 */
export interface HeldWindowClient {
  /** Starts `AgentService.Stream` with this input; the call's outcome is filled in as frames arrive. */
  stream(input: string): StreamOutcome;
  /** Stops reading the socket: the kernel buffers fill and the server's writes stay queued. */
  pauseReading(): void;
  /**
   * Reads the socket again, one chunk per turn of the event loop, so the
   * server's socket stays backed up until everything has been read.
   */
  trickleReading(): void;
  /** Opens the connection's flow-control window to the largest HTTP/2 allows. */
  openWindow(): void;
  /** Resolves once DATA beyond the initial connection window has arrived: the server has used an opened window. */
  readonly windowUsed: Promise<void>;
  /** Sends a PING. */
  ping(): void;
  /** Resolves when the server has closed the connection and every byte it sent has been read. */
  readonly ended: Promise<void>;
  close(): void;
}

/** What one call has received so far. */
export interface StreamOutcome {
  readonly streamId: number;
  /** The messages received, in order. */
  readonly messages: StreamResponse[];
  /** The Connect end-of-stream message (JSON), once received. */
  endOfStream: Record<string, unknown> | undefined;
  /** Whether the server ended the HTTP/2 stream (END_STREAM). */
  ended: boolean;
  /** The RST_STREAM code, if the server reset the stream. */
  resetCode: number | undefined;
}

const frameType = { data: 0x0, headers: 0x1, rstStream: 0x3, settings: 0x4, ping: 0x6, goaway: 0x7, windowUpdate: 0x8 } as const;
const flag = { endStream: 0x1, ack: 0x1, endHeaders: 0x4, padded: 0x8 } as const;
const maxWindow = 2 ** 31 - 1;
const initialWindow = 65_535;
const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Connects to `port` on loopback and sends the preface. */
export async function connectHeldWindowClient(port: number): Promise<HeldWindowClient> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const authority = `127.0.0.1:${port}`;
  const streams = new Map<number, StreamOutcome & { body: Buffer }>();
  let nextStreamId = 1;
  let pending = Buffer.alloc(0);
  let dataBytes = 0;
  let onWindowUsed: () => void = () => undefined;
  const windowUsed = new Promise<void>((resolve) => (onWindowUsed = resolve));
  let trickle = false;

  const send = (type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)) => {
    const header = Buffer.alloc(9);
    header.writeUIntBE(payload.length, 0, 3);
    header.writeUInt8(type, 3);
    header.writeUInt8(flags, 4);
    header.writeUInt32BE(streamId, 5);
    socket.write(Buffer.concat([header, payload]));
  };

  const onFrame = (type: number, flags: number, streamId: number, payload: Buffer) => {
    const stream = streams.get(streamId);
    switch (type) {
      case frameType.settings:
        if ((flags & flag.ack) === 0) send(frameType.settings, flag.ack, 0);
        return;
      case frameType.ping:
        if ((flags & flag.ack) === 0) send(frameType.ping, flag.ack, 0, payload);
        return;
      case frameType.rstStream:
        if (stream !== undefined) stream.resetCode = payload.readUInt32BE(0);
        return;
      case frameType.data: {
        dataBytes += payload.length;
        if (dataBytes > initialWindow) onWindowUsed();
        if (stream === undefined) return;
        const padding = (flags & flag.padded) !== 0 ? payload.readUInt8(0) : undefined;
        const data = padding === undefined ? payload : payload.subarray(1, payload.length - padding);
        stream.body = Buffer.concat([stream.body, data]);
        readEnvelopes(stream);
        break;
      }
      case frameType.headers:
        break;
      default:
        return;
    }
    if (stream !== undefined && (flags & flag.endStream) !== 0) stream.ended = true;
  };

  socket.on("data", (chunk: Buffer) => {
    if (trickle) {
      socket.pause();
      setImmediate(() => socket.resume());
    }
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      onFrame(pending.readUInt8(3), pending.readUInt8(4), pending.readUInt32BE(5) & maxWindow, pending.subarray(9, 9 + length));
      pending = pending.subarray(9 + length);
    }
  });
  // The server may reset the connection; what was read is what the test judges.
  socket.on("error", () => undefined);
  const ended = once(socket, "close").then(() => undefined);

  const settings = Buffer.alloc(12);
  settings.writeUInt16BE(0x2, 0); // ENABLE_PUSH
  settings.writeUInt32BE(0, 2);
  settings.writeUInt16BE(0x4, 6); // INITIAL_WINDOW_SIZE: streams never wait for a window
  settings.writeUInt32BE(maxWindow, 8);
  socket.write(preface);
  send(frameType.settings, 0, 0, settings);

  return {
    stream(input) {
      const streamId = nextStreamId;
      nextStreamId += 2;
      const outcome = { streamId, messages: [], endOfStream: undefined, ended: false, resetCode: undefined, body: Buffer.alloc(0) };
      streams.set(streamId, outcome);
      const headers = hpackLiterals([
        [":method", "POST"],
        [":scheme", "http"],
        [":authority", authority],
        [":path", "/agent.v1.AgentService/Stream"],
        ["content-type", "application/connect+proto"],
        ["connect-protocol-version", "1"],
      ]);
      send(frameType.headers, flag.endHeaders, streamId, headers);
      send(frameType.data, flag.endStream, streamId, envelope(0, toBinary(StreamRequestSchema, create(StreamRequestSchema, { input }))));
      return outcome;
    },
    pauseReading() {
      socket.pause();
    },
    trickleReading() {
      trickle = true;
      socket.resume();
    },
    windowUsed,
    ping() {
      send(frameType.ping, 0, 0, Buffer.alloc(8));
    },
    openWindow() {
      const increment = Buffer.alloc(4);
      increment.writeUInt32BE(maxWindow - initialWindow);
      send(frameType.windowUpdate, 0, 0, increment);
    },
    ended,
    close() {
      socket.destroy();
    },
  };
}

/** Parses the complete Connect envelopes of a stream's body: messages, then the end-of-stream JSON. */
function readEnvelopes(stream: StreamOutcome & { body: Buffer }): void {
  while (stream.body.length >= 5) {
    const length = stream.body.readUInt32BE(1);
    if (stream.body.length < 5 + length) return;
    const flags = stream.body.readUInt8(0);
    const payload = stream.body.subarray(5, 5 + length);
    if ((flags & 0x2) !== 0) {
      stream.endOfStream = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
    } else {
      stream.messages.push(fromBinary(StreamResponseSchema, payload));
    }
    stream.body = stream.body.subarray(5 + length);
  }
}

function envelope(flags: number, message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(flags, 0);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** An HPACK header block of literal fields without indexing, without Huffman coding. */
function hpackLiterals(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from([0x00]), hpackString(name), hpackString(value));
  }
  return Buffer.concat(parts);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  return Buffer.concat([hpackInteger(bytes.length, 7), bytes]);
}

function hpackInteger(value: number, prefixBits: number): Buffer {
  const max = 2 ** prefixBits - 1;
  if (value < max) return Buffer.from([value]);
  const bytes = [max];
  for (let rest = value - max; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      bytes.push(rest);
      return Buffer.from(bytes);
    }
    bytes.push((rest % 128) + 128);
  }
}
