import { create, fromBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { StreamResponseSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { StepSchema, StopReason, type Step } from "../../gen/agent/v1/run_pb.js";
import { RunEventSchema, RunSchema, RunStatus, type Run, type RunEvent } from "../../gen/agent/v1/run_service_pb.js";
import type { RunEventRow, RunRow, RunStatus as StoredStatus } from "../store/index.js";

/** Run records as the runs API sends them: store rows to `agent.v1` messages. */

/** A stored status as the API's enum. */
export const statusOf: Record<StoredStatus, RunStatus> = {
  running: RunStatus.RUNNING,
  completed: RunStatus.COMPLETED,
  failed: RunStatus.FAILED,
  canceled: RunStatus.CANCELED,
};

/** A stored run as the API's `Run`, with the steps given. */
export function runOf(row: RunRow, steps: Step[]): Run {
  return create(RunSchema, {
    runId: row.runId,
    principal: row.principal,
    threadId: row.threadId,
    status: statusOf[row.status],
    input: row.input,
    output: row.output,
    promptVersion: row.promptVersion,
    model: row.model,
    modelsUsed: [...row.modelsUsed],
    usage: { inputTokens: row.inputTokens, outputTokens: row.outputTokens, totalTokens: row.totalTokens },
    costUsd: row.costUsd,
    iterations: row.iterations,
    stopReason: row.stopReason === "" ? StopReason.UNSPECIFIED : (StopReason[row.stopReason.toUpperCase() as keyof typeof StopReason] ?? StopReason.UNSPECIFIED),
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    traceId: row.traceId,
    startedAt: timestampFromDate(row.startedAt),
    ...(row.endedAt === undefined ? {} : { endedAt: timestampFromDate(row.endedAt) }),
    steps,
    experimentId: row.experimentId ?? "",
    experimentArm: row.experimentArm ?? "",
    fallbackUsed: row.fallbackUsed ?? false,
  });
}

/** A failed or running run's steps, from its events (a completed one's are in its summary). */
export function stepsOf(events: readonly RunEvent[]): Step[] {
  const steps: Step[] = [];
  for (const { event } of events) {
    const e = event?.event;
    if (e?.case === "modelCallFinished" && e.value.call !== undefined) {
      steps.push(create(StepSchema, { iteration: e.value.iteration, kind: { case: "modelCall", value: e.value.call } }));
    } else if (e?.case === "toolCallFinished" && e.value.call !== undefined) {
      steps.push(create(StepSchema, { iteration: e.value.iteration, kind: { case: "toolCall", value: e.value.call } }));
    }
  }
  return steps;
}

/** The events of one stored row: one, or several packed (size-delimited, consecutive seqs). */
export function eventsOf(row: RunEventRow): RunEvent[] {
  const reader = new BinaryReader(row.payload);
  const events: RunEvent[] = [];
  const at = timestampFromDate(row.at);
  for (let seq = row.seq; reader.pos < reader.len; seq += 1) {
    events.push(create(RunEventSchema, { seq, at, event: fromBinary(StreamResponseSchema, reader.bytes()) }));
  }
  return events;
}
