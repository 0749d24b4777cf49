import { pino, type Logger } from "pino";

/** A pino logger whose lines a test can read back. */
export interface CapturedLogger {
  readonly logger: Logger;
  /** Every line written so far, parsed. */
  readonly lines: readonly Record<string, unknown>[];
  /** Lines at `level` ("warn", "info", ...). */
  at(level: string): Record<string, unknown>[];
}

/** Creates a debug-level logger that keeps its lines in memory. */
export function createCapturedLogger(): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug", formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines, at: (level) => lines.filter((line) => line["level"] === level) };
}
