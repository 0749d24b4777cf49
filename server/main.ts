import { isConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startAgentService } from "./service.js";

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

const logger = createLogger({ level: config.logLevel });
const service = await startAgentService(config, { logger });
logger.info(
  // Model names only: the settings hold API keys.
  { url: service.url, protocols: ["grpc", "grpc-web", "connect"], models: config.models.map((m) => m.name) },
  `agent service listening on ${service.url}`,
);

let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal, grace_ms: config.shutdownGraceMs }, "shutting down: finishing in-flight runs");
    service.shutdown().then(
      () => {
        logger.info("shut down cleanly");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
