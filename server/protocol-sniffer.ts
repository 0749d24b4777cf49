import type { Socket } from "node:net";

// Every HTTP/2 connection with prior knowledge (h2c) starts with this
// preface; no HTTP/1.1 request can, since "PRI" is not a method it allows.
const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Which server a new cleartext connection belongs to. */
export type WireProtocol = "http2" | "http1";

/**
 * Waits for the first bytes of a connection (at most `timeoutMs`, default
 * 10 s), decides whether it speaks HTTP/2 (prior knowledge) or HTTP/1.1, and
 * puts the bytes back so the chosen server reads the connection from its start. Node's cleartext HTTP/2 server
 * cannot serve HTTP/1.1 itself (`allowHTTP1` needs TLS), hence this.
 */
export function sniffProtocol(socket: Socket, route: (protocol: WireProtocol) => void, timeoutMs = 10_000): void {
  let received = Buffer.alloc(0);
  // A connection that never says which protocol it speaks must not hold a socket forever.
  socket.setTimeout(timeoutMs, () => socket.destroy());
  const onData = (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    const compared = Math.min(received.length, http2Preface.length);
    const isHttp2Prefix = received.subarray(0, compared).equals(http2Preface.subarray(0, compared));
    // Undecided until the bytes differ from the preface or complete it.
    if (isHttp2Prefix && received.length < http2Preface.length) {
      return;
    }
    socket.off("data", onData);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(received);
    route(isHttp2Prefix ? "http2" : "http1");
  };
  socket.on("data", onData);
}
