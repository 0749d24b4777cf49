import type { Socket } from "node:net";

// Every HTTP/2 connection with prior knowledge (h2c) starts with this
// preface; no HTTP/1.1 request can, since "PRI" is not a method it allows.
const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Which server a new cleartext connection belongs to. */
export type WireProtocol = "http2" | "http1";

/**
 * Waits for the first bytes of a connection (at most `timeoutMs` in all,
 * default 10 s), decides whether it speaks HTTP/2 (prior knowledge) or
 * HTTP/1.1, and puts the bytes back so the chosen server reads the connection
 * from its start. Node's cleartext HTTP/2 server cannot serve HTTP/1.1 itself
 * (`allowHTTP1` needs TLS), hence this. A connection that has not decided
 * when the time is up is destroyed.
 */
export function sniffProtocol(socket: Socket, route: (protocol: WireProtocol) => void, timeoutMs = 10_000): void {
  let received = Buffer.alloc(0);
  // A total deadline, not `socket.setTimeout`: that one is an idle timer, so a
  // client sending one byte of the preface every 9 s would hold the socket forever.
  const deadline = setTimeout(() => socket.destroy(), timeoutMs).unref();
  socket.once("close", () => clearTimeout(deadline));
  const onData = (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    const compared = Math.min(received.length, http2Preface.length);
    const isHttp2Prefix = received.subarray(0, compared).equals(http2Preface.subarray(0, compared));
    // Undecided until the bytes differ from the preface or complete it.
    if (isHttp2Prefix && received.length < http2Preface.length) {
      return;
    }
    clearTimeout(deadline);
    socket.off("data", onData);
    socket.pause();
    socket.unshift(received);
    route(isHttp2Prefix ? "http2" : "http1");
  };
  socket.on("data", onData);
}
