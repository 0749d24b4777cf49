import type { StartedProcess } from "./start-process.js";

/** CPU time a probed process spent between `start()` and `stop()`. */
export interface CpuWindow {
  /** CPU microseconds used in the window. */
  readonly cpuUs: number;
  readonly wallMs: number;
  /** cpuUs / wall time: the share of one core (1 = one core busy). */
  readonly share: number;
}

/** Starts measuring the CPU of `processes`; the returned function ends the window. */
export async function meterCpu(...processes: readonly StartedProcess[]): Promise<() => Promise<CpuWindow[]>> {
  const before = await Promise.all(processes.map((started) => started.read()));
  const startedAt = performance.now();
  return async () => {
    const after = await Promise.all(processes.map((started) => started.read()));
    const wallMs = performance.now() - startedAt;
    return after.map((reading, index) => {
      const cpuUs = reading.cpuUs - (before[index]?.cpuUs ?? 0);
      return { cpuUs, wallMs, share: cpuUs / 1000 / wallMs };
    });
  };
}
