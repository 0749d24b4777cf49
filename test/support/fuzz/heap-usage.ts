import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full garbage collection: `global.gc` when Node runs with `--expose-gc`,
 * else the same function obtained by turning the flag on at run time and
 * reading `gc` from a fresh context (V8 installs it in contexts created after
 * the flag is set). Undefined if neither works.
 */
function findGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") {
    return exposed;
  }
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

const gc = findGc();

/** Whether {@link settledHeapBytes} collects garbage for real (else it can only wait). */
export const canCollectGarbage = gc !== undefined;

/**
 * Heap in use once garbage is collected: several full collections with turns
 * of the event loop between them, so closed sockets and finished streams
 * release what they hold.
 */
export async function settledHeapBytes(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
  }
  return process.memoryUsage().heapUsed;
}
