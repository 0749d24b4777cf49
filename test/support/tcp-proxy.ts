import { createServer, connect, type AddressInfo, type Socket } from "node:net";

/**
 * A TCP proxy on an ephemeral loopback port that a test can break on purpose,
 * to see how a client copes with its server going away or going silent
 * without touching the server itself.
 */
export interface TcpProxy {
  /** Loopback port the proxy listens on. */
  readonly port: number;
  /** Destroys every connection and closes new ones as soon as they arrive. */
  cut(): void;
  /** Keeps every connection open but forwards nothing, in either direction, until restored. */
  stall(): void;
  /** Forwards again: new connections pass through, and stalled ones deliver what they held. */
  restore(): void;
  close(): Promise<void>;
}

type ProxyMode = "open" | "cut" | "stalled";

/** One client connection and its upstream, with the bytes held while stalled. */
class ProxiedConnection {
  private readonly held = new Map<Socket, Buffer[]>();

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    private stalled: () => boolean,
  ) {
    this.forward(client, upstream);
    this.forward(upstream, client);
  }

  private forward(from: Socket, to: Socket): void {
    const held: Buffer[] = [];
    this.held.set(to, held);
    from.on("data", (chunk: Buffer) => {
      if (this.stalled()) {
        held.push(chunk);
      } else {
        to.write(chunk);
      }
    });
    // Either side going away takes the other with it, as a real network path would.
    from.on("close", () => this.destroy());
    from.on("error", () => this.destroy());
  }

  flush(): void {
    for (const [to, held] of this.held) {
      for (const chunk of held.splice(0)) {
        to.write(chunk);
      }
    }
  }

  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }
}

/** Starts a proxy to `target` and resolves once it listens. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = "open";
  const connections = new Set<ProxiedConnection>();

  const server = createServer((client) => {
    if (mode === "cut") {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const connection = new ProxiedConnection(client, upstream, () => mode === "stalled");
    connections.add(connection);
    client.on("close", () => connections.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      mode = "cut";
      for (const connection of connections) {
        connection.destroy();
      }
    },
    stall() {
      mode = "stalled";
    },
    restore() {
      mode = "open";
      for (const connection of connections) {
        connection.flush();
      }
    },
    async close() {
      for (const connection of connections) {
        connection.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
