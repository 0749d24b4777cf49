import { clone, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { mapChatMessagesToStoredMessages, mapStoredMessagesToChatMessages, type BaseMessage, type StoredMessage } from "@langchain/core/messages";
import { z } from "zod";
import { ExecuteResponseSchema, type ExecuteResponse } from "../../gen/agent/v1/agent_service_pb.js";

/**
 * Where a run stands between two model turns: everything the executor needs
 * to take the next turn, on this replica or another. A value, not a handle:
 * {@link encodeRunState} writes it as JSON text and {@link decodeRunState}
 * reads it back, so a run can be paused (for an approval, say) and resumed
 * elsewhere with `RunRequest.from`.
 */
export interface RunState {
  /** Model turns taken so far; the next one is `iteration + 1`. */
  readonly iteration: number;
  /** The conversation so far, system prompt first: what the next turn sends the model. */
  readonly messages: readonly BaseMessage[];
  /** The summary folded from the run's events so far (usage, cost, steps, models). */
  readonly summary: ExecuteResponse;
}

/** The version of the encoded form; a decoder refuses any other. */
const runStateVersion = 1;

const storedMessageSchema = z.object({
  type: z.string(),
  data: z.looseObject({ content: z.string(), role: z.string().optional(), name: z.string().optional(), tool_call_id: z.string().optional() }),
});

const encodedSchema = z.object({
  version: z.literal(runStateVersion),
  iteration: z.number().int().nonnegative(),
  messages: z.array(storedMessageSchema),
  summary: z.json(),
});

/** A {@link RunState} that could not be decoded, with the reason as `cause` when there is one. */
export class RunStateDecodeError extends Error {
  override name = "RunStateDecodeError";
}

/** A deep copy, so the executor never changes a state it was given. */
export function copyRunState(state: RunState): RunState {
  return decodeRunState(encodeRunState(state));
}

/** The state as JSON text (LangChain's stored-message form, the summary as Protobuf JSON). */
export function encodeRunState(state: RunState): string {
  return JSON.stringify({
    version: runStateVersion,
    iteration: state.iteration,
    messages: mapChatMessagesToStoredMessages([...state.messages]),
    summary: toJson(ExecuteResponseSchema, clone(ExecuteResponseSchema, state.summary)),
  });
}

/** Reads what {@link encodeRunState} wrote. @throws {RunStateDecodeError} for anything else. */
export function decodeRunState(text: string): RunState {
  let parsed: z.infer<typeof encodedSchema>;
  try {
    parsed = encodedSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new RunStateDecodeError("not an encoded run state (or one of another version)", { cause: err });
  }
  try {
    return {
      iteration: parsed.iteration,
      // Checked above for what the mapping reads; the rest (tool calls, metadata) it copies.
      messages: mapStoredMessagesToChatMessages(parsed.messages as unknown as StoredMessage[]),
      summary: fromJson(ExecuteResponseSchema, parsed.summary as JsonValue),
    };
  } catch (err) {
    throw new RunStateDecodeError("the run state's messages or summary do not decode", { cause: err });
  }
}
