import { pino, type DestinationStream, type Logger } from "pino";

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. Default `info`. */
  readonly level?: string;
  /** Where lines go. Default standard output. */
  readonly destination?: DestinationStream;
}

/**
 * Creates the service's JSON logger: one line per event, ISO timestamps, and
 * credentials redacted wherever they appear in a logged object.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "agent-service" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          "apiKey",
          "*.apiKey",
          "models[*].apiKey",
          "*.models[*].apiKey",
          "authorization",
          "*.authorization",
          "headers.authorization",
          "*.headers.authorization",
          "otlpHeaders",
          "*.otlpHeaders",
        ],
        censor: "[redacted]",
      },
    },
    options.destination,
  );
}
