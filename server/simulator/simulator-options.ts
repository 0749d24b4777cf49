import type { FaultRule } from "./fault-rule.js";

/** Options for {@link createSimulator}. Every field is optional. */
export interface SimulatorOptions {
  /** Interface to listen on. Default: `"127.0.0.1"`. */
  host?: string;
  /** Port to listen on; 0 picks a free ephemeral port. Default: 0. */
  port?: number;
  /**
   * Model names the simulator serves. Requests for any other model get a 404 `model_not_found`,
   * like OpenAI. Default: `["sim-small", "sim-large"]`.
   */
  models?: readonly string[];
  /**
   * When set, `/v1/*` requests must carry `Authorization: Bearer <apiKey>` or get a 401.
   * The `/_simulator/*` control endpoints never require it. Default: undefined (no auth).
   */
  apiKey?: string;
  /** Faults to inject from the start. Default: none. */
  faults?: readonly FaultRule[];
  /**
   * Delay between SSE chunks in milliseconds, so that tests can cancel a stream part way through.
   * Default: 0 (the whole stream is written at once).
   */
  chunkDelayMs?: number;
}

/** {@link SimulatorOptions} with every default applied. */
export interface ResolvedSimulatorOptions {
  readonly host: string;
  readonly port: number;
  readonly models: ReadonlySet<string>;
  readonly apiKey: string | undefined;
  readonly faults: readonly FaultRule[];
  readonly chunkDelayMs: number;
}

/** The models served when none are configured. */
export const defaultSimulatorModels: readonly string[] = Object.freeze(["sim-small", "sim-large"]);

/**
 * Applies the defaults documented on {@link SimulatorOptions}. Throws a `RangeError` for a port
 * or delay out of range, or an empty model list. Fault rules are validated by the fault schedule.
 */
export function resolveSimulatorOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`Simulator port must be an integer from 0 to 65535, got ${port}.`);
  }
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  if (!Number.isFinite(chunkDelayMs) || chunkDelayMs < 0) {
    throw new RangeError(`Simulator chunkDelayMs must be a non-negative number, got ${chunkDelayMs}.`);
  }
  const models = options.models ?? defaultSimulatorModels;
  if (models.length === 0 || models.some((model) => model.length === 0)) {
    throw new RangeError("Simulator models must be a non-empty list of non-empty names.");
  }
  return Object.freeze({
    host: options.host ?? "127.0.0.1",
    port,
    models: new Set(models),
    apiKey: options.apiKey,
    faults: options.faults ?? [],
    chunkDelayMs,
  });
}
