/**
 * Runs the model simulator on its own, configured from the environment (see
 * `loadSimulatorConfig`), for local development and benchmarks: `npm run simulator`.
 */
import type { SimulatorOptions } from "./simulator-options.js";
import { createSimulator } from "./simulator.js";
import { isSimulatorConfigError, loadSimulatorConfig } from "./simulator-env.js";

function loadConfigOrExit(): Readonly<SimulatorOptions> {
  try {
    return loadSimulatorConfig(process.env);
  } catch (error) {
    if (!isSimulatorConfigError(error)) throw error;
    console.error(`Cannot start the model simulator: ${error.message}`);
    process.exit(1);
  }
}

const simulator = await createSimulator(loadConfigOrExit());
console.log(`Model simulator listening on ${simulator.url}`);

const shutdown = (): void => {
  simulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("Model simulator did not close cleanly:", error);
      process.exit(1);
    },
  );
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
