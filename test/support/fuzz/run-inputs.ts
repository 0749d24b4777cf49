import fc from "fast-check";

/** The server limits the generators aim at, on both sides of each. */
export interface FuzzLimits {
  readonly maxInputChars: number;
  readonly maxIterationsCap: number;
  readonly maxExecutionTimeCapMs: number;
}

/** The fields of ExecuteRequest and StreamRequest, as `create()` takes them. */
export interface RunInputFields {
  readonly input: string;
  readonly maxIterations: number;
  readonly maxExecutionTime?: { readonly seconds: bigint; readonly nanos: number };
  readonly bypassCache: boolean;
}

/**
 * Run request fields around the request rules: most break one (blank or
 * oversized input, iterations or duration beyond the caps, negative or
 * unnormalized durations); the few that pass are cheap (a short arithmetic
 * task, one or two iterations), since they run against the simulator.
 */
export function runInputs(limits: FuzzLimits): fc.Arbitrary<RunInputFields> {
  const capSeconds = BigInt(Math.ceil(limits.maxExecutionTimeCapMs / 1000));
  return fc.record(
    {
      input: fc.oneof(
        fc.constantFrom("What is 1 + 1?", "What is 17 * 23?"),
        fc.constantFrom("", " \n\t ", "x".repeat(limits.maxInputChars + 1)),
        fc.string({ maxLength: 30, unit: "binary" }),
      ),
      maxIterations: fc.oneof(
        fc.constantFrom(1, 2),
        fc.constantFrom(0, limits.maxIterationsCap + 1, 2 ** 31, 2 ** 32 - 1),
      ),
      maxExecutionTime: fc.oneof(
        fc.record({ seconds: fc.constant(0n), nanos: fc.integer({ min: 100_000_000, max: 999_999_999 }) }),
        fc.record({ seconds: fc.bigInt({ min: capSeconds + 1n, max: (1n << 63n) - 1n }), nanos: fc.constant(0) }),
        fc.record({ seconds: fc.bigInt({ min: -(1n << 63n), max: -1n }), nanos: fc.integer({ min: -999_999_999, max: 0 }) }),
        fc.record({ seconds: fc.constant(1n), nanos: fc.constantFrom(-1, 1_000_000_000, 2_000_000_000, 2 ** 31 - 1) }),
        fc.constant({ seconds: 0n, nanos: 0 }),
      ),
      bypassCache: fc.boolean(),
    },
    { requiredKeys: ["input", "maxIterations", "bypassCache"] },
  );
}
