import type { StreamResponse } from "../gen/agent/v1/agent_service_pb.js";

/**
 * Holds each model turn's text deltas until the turn finishes, and drops
 * them when the server restarts the turn on another model (`stepRestarted`).
 * A consumer that prints every `textDelta` therefore never shows a torn or
 * duplicated answer. Every other event passes through at once, in order
 * relative to the released text.
 */
export async function* restartSafeText(events: AsyncIterable<StreamResponse>): AsyncGenerator<StreamResponse> {
  let held: StreamResponse[] = [];
  for await (const event of events) {
    switch (event.event.case) {
      case "textDelta":
        held.push(event);
        continue;
      case "stepRestarted":
        held = [];
        yield event;
        continue;
      default:
        // Any other event means the turn's text so far is final.
        yield* held;
        held = [];
        yield event;
    }
  }
  yield* held;
}
