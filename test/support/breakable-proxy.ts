import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

/**
 * A TCP proxy in front of the service that a test breaks at the moment it
 * chooses, to see a client cope with a connection lost mid-call. Unlike
 * `startTcpProxy` (test/support/tcp-proxy.ts), a cut drops only
 * the connections open at that moment (the client's next one passes), and
 * it can hold one direction: the requests reach the server, its answers wait
 * (in the proxy, or in the server, as a client that stopped reading).
 */
export interface BreakableProxy {
  /** Loopback port the proxy listens on. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for a client's `baseUrl`. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** From now on, server→client bytes are held (on open and new connections); client→server ones still pass. */
  holdResponses(): void;
  /**
   * From now on, the proxy stops reading the server's answers (on open and new
   * connections): the server's socket buffers fill and its writes wait, as for a
   * client that stopped reading. Ends with a cut.
   */
  stallResponses(): void;
  /** Delivers what was held and forwards again. */
  releaseResponses(): void;
  /**
   * Drops every open connection, and what it held: with a FIN by default, as
   * a proxy that closes; `{ reset: true }` sends a TCP RST, as a peer that
   * vanished. New connections pass. Holding ends.
   */
  cut(options?: { reset?: boolean }): void;
  close(): Promise<void>;
}

/** One client connection and its upstream. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Server→client bytes held while responses are held. */
  readonly held: Buffer[];
}

/** Starts a proxy to `target` and resolves once it listens. */
export async function startBreakableProxy(target: { host: string; port: number }): Promise<BreakableProxy> {
  const links = new Set<Link>();
  let holding = false;
  let stalling = false;
  let connections = 0;

  const drop = (link: Link, reset: boolean) => {
    links.delete(link);
    link.held.length = 0;
    if (reset) {
      link.client.resetAndDestroy();
      link.upstream.resetAndDestroy();
    } else {
      link.client.destroy();
      link.upstream.destroy();
    }
  };

  const server = createServer((client) => {
    connections += 1;
    const upstream = connect(target.port, target.host);
    const link: Link = { client, upstream, held: [] };
    links.add(link);
    if (stalling) {
      upstream.pause();
    }
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    upstream.on("data", (chunk: Buffer) => {
      if (holding) {
        link.held.push(chunk);
      } else {
        client.write(chunk);
      }
    });
    // Either side going away takes the other with it, as a real network path would.
    for (const socket of [client, upstream]) {
      socket.on("close", () => drop(link, false));
      socket.on("error", () => drop(link, false));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    holdResponses() {
      holding = true;
    },
    stallResponses() {
      stalling = true;
      for (const link of links) {
        link.upstream.pause();
      }
    },
    releaseResponses() {
      holding = false;
      for (const link of links) {
        for (const chunk of link.held.splice(0)) {
          link.client.write(chunk);
        }
      }
    },
    cut(options) {
      holding = false;
      stalling = false;
      for (const link of [...links]) {
        drop(link, options?.reset === true);
      }
    },
    async close() {
      for (const link of [...links]) {
        drop(link, false);
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
