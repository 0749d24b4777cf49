import { pino, type DestinationStream, type Logger } from "pino";

/** Options for {@link createLogDestination}. */
export interface LogDestinationOptions {
  /** File descriptor lines are written to. Default 1, standard output. */
  readonly fd?: number;
  /** Bytes gathered before a write. Default 4,096. */
  readonly bufferBytes?: number;
  /** Longest a line waits in the buffer, in milliseconds. Default 100. */
  readonly flushIntervalMs?: number;
}

/** Where the service's lines go: buffered, written in order, flushed on exit. */
export interface LogDestination extends DestinationStream {
  /** Writes what is buffered now; `done` is called once every line so far is written. */
  flush(done?: (err?: Error) => void): void;
}

/**
 * Creates the service's log destination: lines are gathered into writes of
 * about {@link LogDestinationOptions.bufferBytes} and written asynchronously,
 * in order, so a run's lines cost no system call each on the hot path. A line
 * waits at most {@link LogDestinationOptions.flushIntervalMs}. The entry
 * point flushes before it exits; pino also writes what is left synchronously
 * when the process exits (`process.exit`, an uncaught exception). A SIGKILL
 * can lose the last interval's lines.
 */
export function createLogDestination(options: LogDestinationOptions = {}): LogDestination {
  return pino.destination({
    dest: options.fd ?? 1,
    sync: false,
    minLength: options.bufferBytes ?? 4_096,
    periodicFlush: options.flushIntervalMs ?? 100,
  });
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. Default `info`. */
  readonly level?: string;
  /** Where lines go. Default standard output, buffered ({@link createLogDestination}). */
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
    options.destination ?? createLogDestination(),
  );
}
