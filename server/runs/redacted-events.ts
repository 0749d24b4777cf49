import { clone, create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { StreamResponseSchema, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import type { ModelCall, Step, ToolCall } from "../../gen/agent/v1/run_pb.js";

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
 * turn's `modelCallFinished`), model text and output errors, tool arguments
 * and results, the final output and the strings of the structured output.
 * The executor's own objects are never changed: the model keeps seeing the
 * real tool results.
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
          redactModelCall(copy.event.value.call, redaction);
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
          if (result.structuredOutput !== undefined) {
            result.structuredOutput = redactJson(result.structuredOutput, redaction);
          }
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

/** The model's text, and the output errors that may quote it. */
function redactModelCall(call: ModelCall, redaction: OutputRedaction): void {
  call.text = redaction.redact(call.text);
  call.outputErrors = call.outputErrors.map((line) => redaction.redact(line));
}

/** The structured output's strings redacted, as the output text they were parsed from is. */
function redactJson(value: JsonObject, redaction: OutputRedaction): JsonObject {
  const redacted = (nested: JsonValue): JsonValue => {
    if (typeof nested === "string") {
      return redaction.redact(nested);
    }
    if (Array.isArray(nested)) {
      return nested.map(redacted);
    }
    if (typeof nested === "object" && nested !== null) {
      // fromEntries defines own properties, so a `__proto__` key stays data.
      return Object.fromEntries(Object.entries(nested).map(([key, item]) => [key, redacted(item)]));
    }
    return nested;
  };
  return redacted(value) as JsonObject;
}

function redactStep(step: Step, redaction: OutputRedaction): void {
  if (step.kind.case === "modelCall") {
    redactModelCall(step.kind.value, redaction);
  } else if (step.kind.case === "toolCall") {
    redactToolCall(step.kind.value, redaction);
  }
}
