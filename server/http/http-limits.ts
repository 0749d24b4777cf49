import { loadConfig, type Config } from "../config.js";

/**
 * Time and size limits of the connections and requests of the RPC port. Each
 * field's meaning, environment variable and default is documented on
 * `Config["http"]`; the request-message limits are applied by connect-node and
 * the validation interceptor instead.
 */
export type HttpLimits = Omit<Config["http"], "maxRequestBytes" | "maxJsonDepth">;

/**
 * Applies the defaults to the limits left out. The defaults are the
 * configuration's own (its schema is the one place they are written), read
 * from an empty environment.
 */
export function resolveHttpLimits(limits: Partial<HttpLimits> = {}): HttpLimits {
  const defaults = loadConfig({}).http;
  return Object.freeze({
    prefaceTimeoutMs: limits.prefaceTimeoutMs ?? defaults.prefaceTimeoutMs,
    headersTimeoutMs: limits.headersTimeoutMs ?? defaults.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs ?? defaults.requestTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs ?? defaults.idleTimeoutMs,
    stalledReaderTimeoutMs: limits.stalledReaderTimeoutMs ?? defaults.stalledReaderTimeoutMs,
    maxHeaderBytes: limits.maxHeaderBytes ?? defaults.maxHeaderBytes,
    compressMinBytes: limits.compressMinBytes ?? defaults.compressMinBytes,
  });
}
