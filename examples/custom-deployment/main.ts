import { createBuiltinTools, createLogger, isConfigError, isStartupError, loadConfig, startAgentService } from "agent-service/server";
import { orderDeskPrompt } from "./order-desk-prompt.ts";
import { createOrderStatusTool } from "./order-status-tool.ts";

// A deployment of the agent service with a tool and a prompt of its own. Every setting of the
// service still comes from the environment (see the service's README); this deployment only
// changes one default: its runs use its own prompt unless AGENT_DEFAULT_PROMPT says otherwise.
let config;
try {
  config = loadConfig({ AGENT_DEFAULT_PROMPT: orderDeskPrompt.name, ...process.env });
} catch (err) {
  if (isConfigError(err)) {
    console.error(`order-desk: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const logger = createLogger({ level: config.logLevel });
let service;
try {
  service = await startAgentService(config, {
    logger,
    // The built-in tools stay; the deployment's own comes after them.
    tools: [...createBuiltinTools(), createOrderStatusTool()],
    prompts: [orderDeskPrompt],
  });
} catch (err) {
  // A port in use, a prompt that is not valid: one line naming what to change.
  if (isStartupError(err)) {
    console.error(`order-desk: cannot start: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
const running = service;
logger.info({ url: running.url, prompt: config.prompts.defaultPrompt }, `order desk listening on ${running.url}`);

// SIGTERM (a container stop) and SIGINT finish the runs in flight, then exit; a second one exits at once.
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down: finishing in-flight runs");
    running.shutdown().then(
      () => {
        logger.info("shut down cleanly");
        logger.flush(() => process.exit(0));
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        logger.flush(() => process.exit(1));
      },
    );
  });
}
// SIGHUP rereads the API keys file and the secret files, as the service's own process does.
process.on("SIGHUP", () => void running.reload());
