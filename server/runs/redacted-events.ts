import { clone, create } from "@bufbuild/protobuf";
import { StreamResponseSchema, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import type { Step, ToolCall } from "../../gen/agent/v1/run_pb.js";

/**
 * What leaves the service redacted (see `server/guard/redaction.ts`): whole
 * texts, and streamed text delta by delta with a bounded hold-back.
 */
export interface OutputRedaction {
  redact(text: string): string;
  /** A redactor of one stream of deltas: `push` returns what is safe to send now, `end` the rest. */
  stream(): { push(delta: string): string; end(): string };
}

/**
 * A run's events with sensitive data redacted, as callers, watchers and the
 * run's record get them: text deltas (a secret split over deltas is still
 * caught; what a delta held back goes out with the next, or just before its
 * turn's `modelCallFinished`), model text, tool arguments and results, the
 * final output. The executor's own objects are never changed: the model
 * keeps seeing the real tool results.
 */
export async function* redactedEvents(events: AsyncIterable<StreamResponse>, redaction: OutputRedaction): AsyncGenerator<StreamResponse, void, undefined> {
  let stream = redaction.stream();
  let iteration = 0;
  for await (const event of events) {
    const e = event.event;
    switch (e.case) {
      case "textDelta": {
        if (e.value.iteration !== iteration) {
          iteration = e.value.iteration;
          stream = redaction.stream();
        }
        const text = stream.push(e.value.text);
        if (text !== "") {
          yield delta(iteration, text);
        }
        break;
      }
      case "stepRestarted":
        // The turn's text so far is void: so is what was held of it.
        stream = redaction.stream();
        yield event;
        break;
      case "modelCallFinished": {
        const rest = stream.end();
        stream = redaction.stream();
        if (rest !== "") {
          yield delta(e.value.iteration, rest);
        }
        const copy = clone(StreamResponseSchema, event);
        if (copy.event.case === "modelCallFinished" && copy.event.value.call !== undefined) {
          copy.event.value.call.text = redaction.redact(copy.event.value.call.text);
        }
        yield copy;
        break;
      }
      case "toolCallStarted": {
        const copy = clone(StreamResponseSchema, event);
        if (copy.event.case === "toolCallStarted") {
          copy.event.value.arguments = redaction.redact(copy.event.value.arguments);
        }
        yield copy;
        break;
      }
      case "toolCallFinished": {
        const copy = clone(StreamResponseSchema, event);
        if (copy.event.case === "toolCallFinished" && copy.event.value.call !== undefined) {
          redactToolCall(copy.event.value.call, redaction);
        }
        yield copy;
        break;
      }
      case "runCompleted": {
        const copy = clone(StreamResponseSchema, event);
        const result = copy.event.case === "runCompleted" ? copy.event.value.result : undefined;
        if (result !== undefined) {
          result.output = redaction.redact(result.output);
          result.steps.forEach((step) => redactStep(step, redaction));
        }
        yield copy;
        break;
      }
      default:
        yield event;
    }
  }
}

function delta(iteration: number, text: string): StreamResponse {
  return create(StreamResponseSchema, { event: { case: "textDelta", value: { iteration, text } } });
}

function redactToolCall(call: ToolCall, redaction: OutputRedaction): void {
  call.arguments = redaction.redact(call.arguments);
  call.result = redaction.redact(call.result);
}

function redactStep(step: Step, redaction: OutputRedaction): void {
  if (step.kind.case === "modelCall") {
    step.kind.value.text = redaction.redact(step.kind.value.text);
  } else if (step.kind.case === "toolCall") {
    redactToolCall(step.kind.value, redaction);
  }
}
