import type { SecretSource } from "../../../secret-source.js";

/** How the service reaches an MCP server. */
export type McpTransportOptions =
  | {
      /** A child process the service starts, speaking MCP over its standard input and output. */
      readonly kind: "stdio";
      /** The program to run, found on `PATH` unless it is a path. */
      readonly command: string;
      /** Its arguments. Default none. */
      readonly args?: readonly string[];
      /**
       * Environment variables besides the few every child gets (`HOME`, `LOGNAME`, `PATH`, `SHELL`,
       * `TERM`, `USER`): the service's own environment, and so its secrets, is not passed on. Each
       * value is read when the process starts. Default none.
       */
      readonly env?: Readonly<Record<string, SecretSource>>;
      /** Its working directory. Default the service's. */
      readonly cwd?: string;
    }
  | {
      /** A server reached over MCP's streamable HTTP transport. */
      readonly kind: "http";
      /** The server's MCP endpoint, such as `https://weather.internal/mcp`. */
      readonly url: string;
      /** Headers sent with every request, each read when a connection opens. Default none. */
      readonly headers?: Readonly<Record<string, SecretSource>>;
    };

/** One MCP server whose tools the agent may call. Defaults apply in {@link resolveMcpServerOptions}. */
export interface McpServerOptions {
  /** The server's name in logs, metrics and Health: 1 to 64 letters, digits, `_` or `-`. */
  readonly name: string;
  readonly transport: McpTransportOptions;
  /**
   * Time one call of one of its tools may take, in milliseconds; a call that takes longer is
   * canceled on the server and reported to the model as a timeout. Default the tool runner's.
   */
  readonly timeoutMs?: number;
  /** The server's tools the agent may call, by the server's names for them. Default every tool it lists. */
  readonly tools?: readonly string[];
  /**
   * Put before each of its tools' names, as the model sees them (`weather_` makes `forecast`
   * `weather_forecast`), so that two servers' tools, or a server's and a built-in, cannot clash.
   * Default none.
   */
  readonly prefix?: string;
  /**
   * Time to connect, initialize and list the tools, and the time a health ping may take.
   * @defaultValue 10_000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Time between health pings while connected; a ping that fails or times out marks the server
   * unavailable. @defaultValue 15_000
   */
  readonly pingIntervalMs?: number;
  /**
   * Waits between reconnection attempts: exponential from `initialDelayMs`, jittered, capped at
   * `maxDelayMs`. @defaultValue `{ initialDelayMs: 500, maxDelayMs: 30_000 }`
   */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
}

/** {@link McpServerOptions} with every default applied. */
export interface ResolvedMcpServerOptions {
  readonly name: string;
  readonly transport: McpTransportOptions;
  readonly timeoutMs: number | undefined;
  readonly tools: ReadonlySet<string> | undefined;
  readonly prefix: string;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly reconnect: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

/** Applies the defaults documented on {@link McpServerOptions}. */
export function resolveMcpServerOptions(options: McpServerOptions): ResolvedMcpServerOptions {
  const initialDelayMs = options.reconnect?.initialDelayMs ?? 500;
  return Object.freeze({
    name: options.name,
    transport: options.transport,
    timeoutMs: options.timeoutMs,
    tools: options.tools === undefined ? undefined : new Set(options.tools),
    prefix: options.prefix ?? "",
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    pingIntervalMs: options.pingIntervalMs ?? 15_000,
    // A cap below the first wait would make the first wait the cap.
    reconnect: Object.freeze({ initialDelayMs, maxDelayMs: Math.max(initialDelayMs, options.reconnect?.maxDelayMs ?? 30_000) }),
  });
}

