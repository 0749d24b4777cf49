import type { Interceptor } from "@connectrpc/connect";
import type { StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";

/** The RPCs a client sent, one entry per attempt, as an interceptor sees them. */
export interface CallRecorder {
  /** Method names in the order the attempts started, such as `["Stream", "WatchRun"]`. */
  readonly methods: string[];
  /** Pass in `interceptors`: it records every attempt and changes nothing. */
  readonly interceptor: Interceptor;
}

/** Records the attempts of an SDK client, so a test can tell a resume from a repeat. */
export function createCallRecorder(): CallRecorder {
  const methods: string[] = [];
  return {
    methods,
    interceptor: (next) => (req) => {
      methods.push(req.method.name);
      return next(req);
    },
  };
}

/** The text a stream's deltas add up to. */
export function textOf(events: readonly StreamResponse[]): string {
  return events.map((event) => (event.event.case === "textDelta" ? event.event.value.text : "")).join("");
}

/** The run id of a stream's `runStarted`, or "" without one. */
export function runIdOf(events: readonly StreamResponse[]): string {
  const started = events.find((event) => event.event.case === "runStarted");
  return started?.event.case === "runStarted" ? started.event.value.runId : "";
}

/** 1..count: the seqs of a run's events, every one once, in order. */
export function seqsUpTo(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}
