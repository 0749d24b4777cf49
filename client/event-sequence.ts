import { Code, ConnectError } from "@connectrpc/connect";
import type { StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { AgentServiceError } from "./agent-error.js";

/** Where a run's event stream is: what a new attempt resumes from. */
export interface EventPosition {
  /** The run, once its `runStarted` arrived (or the caller named it). */
  readonly runId: string | undefined;
  /** The seq of the last event passed on; 0 before the first. */
  readonly lastSeq: number;
}

/** The events of one run passed on so far, checked to be one gapless sequence. */
export interface EventSequence extends EventPosition {
  /** True once `runCompleted` passed: the run's last event. */
  readonly completed: boolean;
  /**
   * Takes the next event an attempt received: true to pass it on, false for
   * one already passed on (a resumed attempt replays from an earlier seq).
   * Throws INTERNAL (reason `EVENT_SEQ_GAP`) for an event that skips a seq or
   * belongs to another run: the stream would no longer be the run's.
   */
  accept(event: StreamResponse): boolean;
  /**
   * The attempt ended without an error: throws INTERNAL (reason
   * `STREAM_ENDED_EARLY`) unless the run's last event passed, or a watch
   * that started at a seq found nothing after it (it was at the end).
   */
  end(): void;
}

/** Starts the sequence of a run's events after `position`. */
export function createEventSequence(position: EventPosition): EventSequence {
  let { runId, lastSeq } = position;
  let completed = false;
  return {
    get runId() {
      return runId;
    },
    get lastSeq() {
      return lastSeq;
    },
    get completed() {
      return completed;
    },
    accept(event) {
      // seq 0 is no seq at all: a gap, not a replay.
      if (event.seq !== 0 && event.seq <= lastSeq) {
        return false;
      }
      if (event.seq !== lastSeq + 1 || completed) {
        throw sequenceError(`run ${runId ?? "(unknown)"}: event seq ${event.seq} after seq ${lastSeq}${completed ? ", its last event" : ""}`, "EVENT_SEQ_GAP", runId);
      }
      if (event.event.case === "runStarted") {
        if (runId !== undefined && runId !== event.event.value.runId) {
          throw sequenceError(`run ${runId}: a resumed stream started run ${event.event.value.runId}`, "EVENT_SEQ_GAP", runId);
        }
        runId = event.event.value.runId;
      }
      completed = event.event.case === "runCompleted";
      lastSeq = event.seq;
      return true;
    },
    end() {
      const watchedPastTheEnd = position.runId !== undefined && lastSeq === position.lastSeq;
      if (!completed && !watchedPastTheEnd) {
        throw sequenceError(`run ${runId ?? "(unknown)"}: the stream ended after seq ${lastSeq}, before the run's last event`, "STREAM_ENDED_EARLY", runId);
      }
    },
  };
}

/** A broken stream is the service's or the SDK's bug, never the caller's: INTERNAL with a reason. */
function sequenceError(message: string, reason: string, runId: string | undefined): AgentServiceError {
  return new AgentServiceError(
    new ConnectError(message, Code.Internal, undefined, [{ desc: ErrorDetailSchema, value: { reason, runId: runId ?? "" } }]),
  );
}
