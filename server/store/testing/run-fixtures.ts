import { randomUUID } from "node:crypto";
import type { RunEventRow, RunRow } from "../run-store.js";

/** A prefix no other test uses, for run ids and principals of one test. */
export function uniqueId(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** A completed run with every field set to something other than its zero value. */
export function completedRun(fields: Partial<RunRow> & Pick<RunRow, "runId">): RunRow {
  return {
    principal: "alice",
    threadId: "thread-7",
    status: "completed",
    input: "what is 2 + 2? «quoted», {braced}, back\\slash",
    output: "4",
    promptVersion: "v3",
    model: "model-b",
    modelsUsed: ["model-a", 'model "b", {x}', "back\\slash", "ünï"],
    inputTokens: 3_000_000_123,
    outputTokens: 17,
    totalTokens: 3_000_000_140,
    costUsd: 0.1 + 0.2,
    iterations: 3,
    stopReason: "final_answer",
    errorCode: "",
    errorMessage: "",
    errorStatus: "",
    replicaId: "replica-1",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    idempotencyKey: "",
    requestDigest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    startedAt: new Date("2030-01-02T03:04:05.678Z"),
    endedAt: new Date("2030-01-02T03:04:09.001Z"),
    result: Uint8Array.from([0, 1, 2, 92, 34, 123, 255]),
    fallbackUsed: true,
    ...fields,
  };
}

/** The first write of the run `runId`: running, nothing known about its end. */
export function runningRun(fields: Partial<RunRow> & Pick<RunRow, "runId">): RunRow {
  return completedRun({
    status: "running",
    output: "",
    model: "model-a",
    modelsUsed: [],
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    costUsd: 0,
    iterations: 0,
    stopReason: "",
    endedAt: undefined,
    result: undefined,
    // Absent, as a row read back has it while no fallback answered.
    fallbackUsed: undefined,
    ...fields,
  });
}

/** Events 1…`count` of `runId`, each with a payload of its own. */
export function runEvents(runId: string, count: number, from = 1): RunEventRow[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = from + index;
    return {
      runId,
      seq,
      lastSeq: seq,
      kind: seq === 1 ? "runStarted" : "textDelta",
      payload: Uint8Array.from({ length: 64 + (seq % 7) }, (_, byte) => (seq * 31 + byte) % 256),
      at: new Date(Date.UTC(2030, 0, 2, 3, 4, 5, seq)),
    };
  });
}
