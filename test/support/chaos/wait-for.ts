import type { Simulator } from "../../../server/simulator/index.js";

/**
 * Polls `condition` until it returns true, or fails with `what` after
 * `timeoutMs`. For the moments a test cannot await an event for, such as a
 * breaker's cool-down ending; never a fixed sleep.
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 5_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) {
      return;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Resolves once the simulator has accepted `count` chat completion requests
 * from now on: the moment a test knows that many calls are in flight.
 */
export function requestsArrived(simulator: Simulator, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const onRequest = () => {
      seen += 1;
      if (seen >= count) {
        simulator.events.off("request", onRequest);
        resolve();
      }
    };
    simulator.events.on("request", onRequest);
  });
}
