import { setTimeout as delay } from "node:timers/promises";
import { isConfigError, loadConfig } from "./config.js";
import { createLogDestination, createLogger } from "./logger.js";
import { isStartupError } from "./startup-error.js";
import { startProcessTelemetry } from "./telemetry/process-telemetry.js";
import { packageVersion } from "./wiring/package-version.js";

// Entry point: configuration from the environment, then the composition root.
let config;
try {
  config = loadConfig();
} catch (err) {
  if (isConfigError(err)) {
    process.stderr.write(`agent-service: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

// Lines are buffered off the hot path; every exit below writes what is left first.
const logDestination = createLogDestination();
const logger = createLogger({ level: config.logLevel, destination: logDestination });
/** Exits once the buffered lines are written (waiting for a write in flight keeps them in order), or after 2 s. */
const exit = (code: number): Promise<never> =>
  new Promise(() => {
    setTimeout(() => process.exit(code), 2_000);
    logDestination.flush(() => process.exit(code));
  });
// Node prints its warnings (deprecations, timer overflows, listener leaks) as
// plain text on stderr, which log pipelines cannot parse: they become JSON
// lines like every other. Removing the default listener is how Node documents
// taking them over (`--no-warnings` does the same from the command line).
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  logger.warn(
    { warning: { name: warning.name, code: "code" in warning ? warning.code : undefined, message: warning.message, stack: warning.stack } },
    `node warning: ${warning.name}`,
  );
});

// The OpenTelemetry SDK first, the service's modules after it: its instrumentations patch
// Redis, pg and HTTP as they load. Hence the service is imported here, not above.
const telemetry = await startProcessTelemetry({ settings: config.telemetry, serviceVersion: packageVersion(), logger });
const { startAgentService } = await import("./service.js");
/** Exports the spans and metrics still pending, waiting at most 5 s for a collector that does not answer. */
const stopTelemetry = async (): Promise<void> => {
  if (telemetry === undefined) {
    return;
  }
  const stopped = telemetry.shutdown().catch((err: unknown) => logger.warn({ err }, "telemetry shutdown failed"));
  await Promise.race([stopped, delay(5_000, undefined, { ref: false })]);
};

let service;
try {
  service = await startAgentService(config, { logger, ...(telemetry === undefined ? {} : { telemetry }) });
} catch (err) {
  // A port in use and the like: one line naming the setting, not a stack trace.
  if (isStartupError(err)) {
    logger.fatal({ err: err.cause }, err.message);
    process.stderr.write(`agent-service: cannot start: ${err.message}\n`);
    await exit(1);
  }
  throw err;
}
const running = service;
logger.info(
  // Model names only: the settings hold API keys.
  { url: running.url, protocols: ["grpc", "grpc-web", "connect"], models: config.models.map((m) => m.name) },
  `agent service listening on ${running.url}`,
);
// Whoever waits for this line (a supervisor, a test) sees it now, not at the next flush.
logDestination.flush();

// SIGHUP rereads the API keys file and the secrets given as NAME_FILE: rotated keys, passwords and
// headers take effect without a restart or a dropped run (see RunningAgentService.reload).
process.on("SIGHUP", () => {
  logger.info({ signal: "SIGHUP" }, "rereading the API keys file and the secret files");
  void running.reload();
});

let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      void exit(1);
      return;
    }
    logger.info({ signal, grace_ms: config.shutdownGraceMs }, "shutting down: finishing in-flight runs");
    running.shutdown().then(
      async () => {
        await stopTelemetry();
        logger.info("shut down cleanly");
        void exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        void exit(1);
      },
    );
  });
}
