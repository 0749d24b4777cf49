import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP front for a provider that a test can make refuse connections the way
 * a dead host does: its port stops listening (new connections get
 * ECONNREFUSED) and every open connection, pooled keep-alive ones included,
 * is reset with a TCP RST. Restored, it listens on the same port again, as a
 * provider coming back does. Unlike `test/support/tcp-proxy.ts`
 * (which accepts and then closes), nothing is accepted while refusing.
 */
export interface RefusingPort {
  /** Loopback port it listens on, the same for its whole life. */
  readonly port: number;
  /** `http://127.0.0.1:<port>/v1`, for a model's `baseUrl`. */
  readonly url: string;
  /** Stops listening and resets every open connection. */
  refuse(): Promise<void>;
  /** Listens again, on the same port, forwarding to the target. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts forwarding loopback connections to `target` and resolves once it listens. */
export async function startRefusingPort(target: { host: string; port: number }): Promise<RefusingPort> {
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  };
  const createFront = () =>
    createServer((client) => {
      const upstream = connect(target.port, target.host);
      track(client);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      // Either side going away takes the other with it, with a reset as a broken path would.
      for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
        from.on("error", () => to.resetAndDestroy());
        from.on("close", () => to.destroy());
      }
    });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address !== null ? address.port : port);
      });
    });
  const resetAll = () => {
    for (const socket of open) {
      socket.resetAndDestroy();
    }
  };

  let server: Server | undefined = createFront();
  const port = await listen(server, 0);
  const stop = async () => {
    const closing = server;
    server = undefined;
    if (closing !== undefined) {
      const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
      resetAll();
      await closed;
    }
  };
  return {
    port,
    url: `http://127.0.0.1:${port}/v1`,
    refuse: stop,
    async restore() {
      if (server === undefined) {
        server = createFront();
        await listen(server, port);
      }
    },
    close: stop,
  };
}
