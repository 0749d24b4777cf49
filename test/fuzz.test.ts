import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFindingLog } from "./support/fuzz/finding-log.js";
import { runBatch, type BatchOptions } from "./support/fuzz/fuzz-batch.js";
import { describeRequest, fuzzRequests, warmUpRequests, type FuzzRequest, type ProtocolFamily } from "./support/fuzz/fuzz-request.js";
import { canCollectGarbage, settledHeapBytes } from "./support/fuzz/heap-usage.js";
import { watchProcessFaults, type ProcessFaults } from "./support/fuzz/process-faults.js";
import type { FuzzLimits } from "./support/fuzz/run-inputs.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Fuzzes the RPC port with random and malformed bodies, envelopes and headers
// for every method, over Connect (unary, GET, streaming), gRPC and gRPC-Web,
// on HTTP/1.1 and h2c. Reproduce a failure with the seed it prints:
//   FUZZ_SEED=<seed> npx vitest run test/fuzz.test.ts
// FUZZ_RUNS sets the batches per protocol and HTTP version (default 15).
// FUZZ_SURVEY=1 runs every batch instead of stopping at the first failure and
// shrinking it, then fails with every distinct finding: for triage, as strict.

const seed = process.env["FUZZ_SEED"] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env["FUZZ_SEED"]);
if (!Number.isSafeInteger(seed)) {
  throw new Error(`FUZZ_SEED must be an integer, got "${process.env["FUZZ_SEED"]}"`);
}
const numRuns = Number(process.env["FUZZ_RUNS"] ?? 15);
const batchSize = 8;
const survey = process.env["FUZZ_SURVEY"] === "1";

const limits: FuzzLimits = { maxInputChars: 32_768, maxIterationsCap: 4, maxExecutionTimeCapMs: 2_000 };
// Short server limits, so every legitimate answer (a run stopped at its time
// cap, a body that never ends cut by the request timeout) comes well inside the bound.
const env = {
  AGENT_CACHE: "off",
  AGENT_MAX_INPUT_CHARS: String(limits.maxInputChars),
  AGENT_MAX_ITERATIONS: "2",
  AGENT_MAX_ITERATIONS_CAP: String(limits.maxIterationsCap),
  AGENT_MAX_EXECUTION_TIME_MS: "1500",
  AGENT_MAX_EXECUTION_TIME_CAP_MS: String(limits.maxExecutionTimeCapMs),
  HTTP_PREFACE_TIMEOUT_MS: "1000",
  HTTP_HEADERS_TIMEOUT_MS: "1000",
  HTTP_REQUEST_TIMEOUT_MS: "1000",
};
const boundMs = 4_000;
// Health shares two cores with the fuzzing client and the server's work on a
// batch; a loop blocked by one request (deep JSON, a decompression bomb) shows
// as hundreds of milliseconds or more.
const healthBoundMs = 1_000;
// With a forced collection, what the run leaves behind is garbage-free, so the
// bound is tight (compiled code and connect-node's lazily built tables stay);
// without one, the heap is measured with garbage in it, so it is generous.
const heapToleranceBytes = (canCollectGarbage ? 24 : 64) * 1024 * 1024;

const cells: readonly (readonly [ProtocolFamily, "1.1" | "2"])[] = [
  ["connect-unary", "1.1"],
  ["connect-unary", "2"],
  ["connect-stream", "1.1"],
  ["connect-stream", "2"],
  ["grpc", "2"],
  ["grpc-web", "1.1"],
  ["grpc-web", "2"],
];

let svc: TestService;
let faults: ProcessFaults;
let options: BatchOptions;
let baselineHeapBytes: number;
const findings = createFindingLog();
let slowestHealthMs = 0;

beforeAll(async () => {
  faults = watchProcessFaults();
  svc = await startTestService(env);
  options = { baseUrl: svc.url, boundMs, openStreamWindowMs: 1_000, healthBoundMs };
  // Warm up the protocols' paths (lazy modules, compiled code, the HTTP/2 stack) before the heap baseline.
  for (const [family, httpVersion] of cells) {
    const result = await runBatch(warmUpRequests(family, httpVersion), options);
    expect(result.entries.flatMap((e) => e.violations)).toEqual([]);
  }
  dropLogs();
  baselineHeapBytes = await settledHeapBytes();
}, 60_000);

afterAll(async () => {
  const report = findings.report();
  if (report !== "") {
    console.error(`fuzz findings (FUZZ_SEED=${seed}):\n${report}`);
  }
  if (survey) {
    console.error(`fuzz answers (FUZZ_SEED=${seed}):\n${findings.answers()}\nslowest Health: ${Math.round(slowestHealthMs)} ms`);
  }
  await svc?.close();
  faults?.dispose();
});

/** The service logs every request at debug level into memory: dropped, or the heap only grows. */
function dropLogs(): void {
  svc.logs.splice(0);
  // The raw lines too, where the test service keeps them.
  const rawLogs: unknown = Reflect.get(svc, "rawLogs");
  if (Array.isArray(rawLogs)) {
    rawLogs.splice(0);
  }
}

/** Fails with every broken property of the batch, each with the request that broke it (in a survey, only records them). */
function assertBatchHolds(cell: string, requests: readonly FuzzRequest[], result: Awaited<ReturnType<typeof runBatch>>): void {
  findings.record(cell, result.entries);
  slowestHealthMs = Math.max(slowestHealthMs, result.healthMs);
  const problems = result.entries.flatMap((entry) =>
    entry.violations.map((v) => `${v.property}: ${v.finding}\n  request: ${describeRequest(entry.request)}`),
  );
  if (result.healthProblem !== undefined || result.healthMs > healthBoundMs) {
    const finding = result.healthProblem ?? `Health took ${Math.round(result.healthMs)} ms`;
    findings.recordProblem(cell, "Health stays fast meanwhile", finding, requests.map(describeRequest).join("\n    "));
    problems.push(`Health stays fast meanwhile: ${finding}`);
  }
  for (const fault of faults.take()) {
    findings.recordProblem(cell, "never crashes", fault.split("\n")[0] ?? fault, requests.map(describeRequest).join("\n    "));
    problems.push(`never crashes: ${fault}`);
  }
  dropLogs();
  if (problems.length > 0 && !survey) {
    throw new Error(problems.join("\n"));
  }
}

describe(`the RPC port under fuzzing (FUZZ_SEED=${seed})`, () => {
  it.each(cells)(
    "answers every %s request over HTTP/%s within the bound with a closed-set status, never INTERNAL, without crashing, Health fast meanwhile",
    async (family, httpVersion) => {
      const cell = `${family} over HTTP/${httpVersion}`;
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(fuzzRequests(family, httpVersion, limits), { minLength: 1, maxLength: batchSize }), async (requests) => {
            assertBatchHolds(cell, requests, await runBatch(requests, options));
          }),
          // Shrinking replays batches, some of which wait out the bound: cap the
          // time it may take, keeping the smallest counterexample found by then.
          // A cell that runs out of time without a failure fails too: the runs
          // take a few seconds, so only a batch that never settles gets there.
          { seed, numRuns, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
        );
        expect(findings.report(cell)).toBe("");
      } catch (err) {
        throw new Error(`${cell} failed; reproduce with FUZZ_SEED=${seed} npx vitest run test/fuzz.test.ts\n${String(err instanceof Error ? err.message : err)}`, {
          cause: err,
        });
      }
    },
    60_000,
  );

  it("returns the heap to its baseline once the fuzzing is over", async () => {
    dropLogs();
    const heapBytes = await settledHeapBytes();
    if (survey) {
      console.error(`heap: baseline ${baselineHeapBytes} B, after ${heapBytes} B (forced GC: ${canCollectGarbage})`);
    }
    expect(heapBytes - baselineHeapBytes).toBeLessThan(heapToleranceBytes);
  });
});
