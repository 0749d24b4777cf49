/** One way of doing the same work, timed request by request. */
export interface Arm {
  readonly name: string;
  /** One request; throws when the answer is wrong. */
  readonly run: () => Promise<void>;
  /** Untimed set-up before each request, such as arming a simulator fault. Default none. */
  readonly prepare?: () => Promise<void>;
}

/**
 * Runs every arm once per round, `warmup` untimed rounds first, rotating which arm goes first
 * each round so that drift, a warm cache or a freshly idle machine favours none of them.
 * Returns each arm's latencies in milliseconds, by name.
 */
export async function interleave(arms: readonly Arm[], rounds: number, warmup: number): Promise<Map<string, number[]>> {
  const samples = new Map(arms.map((arm) => [arm.name, [] as number[]]));
  for (let round = -warmup; round < rounds; round++) {
    for (let offset = 0; offset < arms.length; offset++) {
      const arm = arms[(Math.abs(round) + offset) % arms.length];
      if (arm === undefined) continue;
      await arm.prepare?.();
      const started = performance.now();
      await arm.run();
      const elapsed = performance.now() - started;
      if (round >= 0) samples.get(arm.name)?.push(elapsed);
    }
  }
  return samples;
}
