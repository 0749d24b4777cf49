import type { Config } from "./config.js";

/**
 * The service could not start for a reason an operator can fix in its
 * configuration or on the machine, such as a port already in use. The message
 * names the setting to look at; `cause` keeps the original error.
 */
export class StartupError extends Error {
  override readonly name = "StartupError";
  constructor(
    /** The setting to change, such as `PORT`. */
    readonly variable: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(`${variable}: ${message}`, options);
  }
}

/** True when `err` is a {@link StartupError}. */
export function isStartupError(err: unknown): err is StartupError {
  return err instanceof StartupError;
}

/** A Node system error of a failed `listen`, as `net.Server` emits it. */
interface ListenFailure {
  readonly code: string;
  readonly port?: unknown;
  readonly address?: unknown;
}

function isListenFailure(err: unknown): err is ListenFailure {
  return (
    err instanceof Error &&
    "syscall" in err &&
    err.syscall === "listen" &&
    "code" in err &&
    typeof err.code === "string"
  );
}

/**
 * Turns a failure to listen into a {@link StartupError} naming the setting of
 * the listener that failed (the RPC port or the Prometheus port); anything
 * else is returned as it is. Matched on the error's system code and the port
 * it reports, which Node sets on every `listen` error.
 */
export function describeStartupFailure(err: unknown, config: Pick<Config, "host" | "port" | "telemetry">): unknown {
  if (!isListenFailure(err)) {
    return err;
  }
  const prometheus = config.telemetry.prometheus;
  // Port 0 picks a free port and cannot be "in use": a failure there is the RPC listener's.
  const [portVariable, hostVariable, host, port] =
    prometheus !== undefined && prometheus.port !== 0 && err.port === prometheus.port
      ? ["METRICS_PORT", "METRICS_HOST", prometheus.host, prometheus.port]
      : ["PORT", "HOST", config.host, config.port];
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case "EADDRINUSE":
      return new StartupError(portVariable, `${where} is already in use by another process: stop it, or choose another port`, { cause: err });
    case "EACCES":
      return new StartupError(portVariable, `no permission to listen on ${where}: choose a port above 1023, or grant the permission`, { cause: err });
    case "EADDRNOTAVAIL":
      return new StartupError(hostVariable, `${host} is not an address of this machine: use one of its addresses, 127.0.0.1, or 0.0.0.0`, { cause: err });
    default:
      return new StartupError(portVariable, `cannot listen on ${where} (${err.code})`, { cause: err });
  }
}
