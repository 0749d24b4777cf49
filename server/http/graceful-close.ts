import { once } from "node:events";
import type { ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";

/** What {@link closeConnections} closes. */
export interface OpenConnections {
  /** HTTP/2 sessions; their sockets are closed by the sessions themselves. */
  readonly sessions: Iterable<ServerHttp2Session>;
  /** Every other socket: HTTP/1.1 connections and those still being sniffed. */
  readonly sockets: Iterable<Socket>;
}

/**
 * Closes connections once no RPC is in flight any more, without cutting what
 * they still have to send: HTTP/2 sessions close (GOAWAY, then their last
 * frames: a stream's close comes before its final frames leave the socket, so
 * destroying the socket then cuts responses that had completed) and HTTP/1.1
 * sockets end (FIN after their buffered bytes). What has not closed after
 * `flushMs` is destroyed. Resolves when everything is closed.
 */
export async function closeConnections(connections: OpenConnections, flushMs: number): Promise<void> {
  const closing: Promise<unknown>[] = [];
  for (const session of connections.sessions) {
    if (!session.destroyed) {
      closing.push(once(session, "close"));
      session.close();
    }
  }
  const sockets = [...connections.sockets];
  for (const socket of sockets) {
    if (!socket.destroyed) {
      closing.push(once(socket, "close"));
      socket.end();
    }
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(closing),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, flushMs))),
  ]);
  clearTimeout(timer);
  for (const session of connections.sessions) {
    session.destroy();
  }
  for (const socket of sockets) {
    socket.destroy();
  }
}
