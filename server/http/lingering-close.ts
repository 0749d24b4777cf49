import type { Duplex } from "node:stream";

/**
 * Closes a connection whose client may still be sending, without a TCP reset
 * cutting what it was last sent: ends it (FIN once the buffered output is
 * written), then reads and drops whatever the client still sends, and
 * destroys it once the client closes its side or `lingerMs` have passed.
 *
 * Closing a socket with unread input makes the kernel send a reset, which can
 * reach the client before it has read the answer, and which some stacks
 * answer by dropping what they had received but not yet handed up: the
 * "lingering close" of HTTP servers (RFC 9112 §9.6).
 *
 * The HTTP/1.1 parser's own listeners are removed first: it would pause the
 * socket again on the first chunk it cannot deliver.
 */
export function closeLingering(socket: Duplex, lingerMs: number): void {
  if (socket.destroyed) {
    return;
  }
  if (socket.writable) {
    socket.end();
  }
  socket.removeAllListeners("data");
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), lingerMs).unref();
  socket.once("end", () => socket.destroy());
  socket.once("close", () => clearTimeout(timer));
}
