import { z } from "zod";
import { faultRulesSchema } from "./fault-rule.js";
import type { SimulatorOptions } from "./simulator-options.js";

/** A bad simulator environment variable, named with what it allows. */
export class SimulatorConfigError extends Error {
  override name = "SimulatorConfigError";

  constructor(
    /** The offending environment variable. */
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** Whether `value` is a {@link SimulatorConfigError}. */
export function isSimulatorConfigError(value: unknown): value is SimulatorConfigError {
  return value instanceof SimulatorConfigError;
}

/** The port a standalone simulator listens on when `SIMULATOR_PORT` is unset. */
export const defaultStandalonePort = 8090;

const nonNegativeInteger = z.string().regex(/^\d+$/).transform(Number);

/**
 * Reads the standalone simulator's configuration from the environment, once, at start-up:
 * `SIMULATOR_HOST` (default 127.0.0.1), `SIMULATOR_PORT` (default 8090), `SIMULATOR_MODELS`
 * (comma-separated), `SIMULATOR_API_KEY`, `SIMULATOR_FAULTS` (JSON array of fault rules) and
 * `SIMULATOR_CHUNK_DELAY_MS`. Empty variables count as unset. Throws a
 * {@link SimulatorConfigError} naming the first bad variable and what it allows.
 */
export function loadSimulatorConfig(env: Readonly<Record<string, string | undefined>>): Readonly<SimulatorOptions> {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };

  const host = read("SIMULATOR_HOST") ?? "127.0.0.1";
  const port = parseVariable("SIMULATOR_PORT", read("SIMULATOR_PORT"), nonNegativeInteger.pipe(z.number().max(65_535)), "an integer from 0 to 65535");
  const chunkDelayMs = parseVariable(
    "SIMULATOR_CHUNK_DELAY_MS",
    read("SIMULATOR_CHUNK_DELAY_MS"),
    nonNegativeInteger,
    "a whole number of milliseconds (0 or more)",
  );
  const modelsText = read("SIMULATOR_MODELS");
  const models = modelsText?.split(",").map((model) => model.trim());
  if (models?.some((model) => model === "")) {
    throw new SimulatorConfigError(
      "SIMULATOR_MODELS",
      `SIMULATOR_MODELS must be a comma-separated list of model names without empty entries, got "${modelsText}".`,
    );
  }

  return Object.freeze({
    host,
    port: port ?? defaultStandalonePort,
    models,
    apiKey: read("SIMULATOR_API_KEY"),
    faults: parseFaults(read("SIMULATOR_FAULTS")),
    chunkDelayMs,
  });
}

function parseVariable<T>(name: string, value: string | undefined, schema: z.ZodType<T, string>, allowed: string): T | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SimulatorConfigError(name, `${name} must be ${allowed}, got "${value}".`);
  return parsed.data;
}

function parseFaults(value: string | undefined) {
  if (value === undefined) return undefined;
  const allowed =
    'SIMULATOR_FAULTS must be a JSON array of fault rules such as [{"kind":"status","status":429,"times":1}]';
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new SimulatorConfigError("SIMULATOR_FAULTS", `${allowed}; the value is not valid JSON.`);
  }
  const parsed = faultRulesSchema.safeParse(json);
  if (!parsed.success) {
    throw new SimulatorConfigError("SIMULATOR_FAULTS", `${allowed}:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
