import type { ChatMessage, ChatResponseFormat } from "./chat-request.js";

/** Payload of the simulator's `request` event. */
export interface SimulatorRequestEvent {
  /** The requested model. */
  readonly model: string;
  /** The request's messages as the simulator read them, so tests can see what the model was sent (e.g. a thread's earlier turns). */
  readonly messages: readonly ChatMessage[];
  /** Whether the response is streamed (SSE). */
  readonly stream: boolean;
  /** The W3C `traceparent` header the caller sent, if any, so tests can follow a trace into the model. */
  readonly traceparent: string | undefined;
  /** The `json_schema` response format the request asked for, if any, so tests can see structured output was requested. */
  readonly responseFormat: ChatResponseFormat | undefined;
  /** The sampling temperature the request set; undefined when it set none. */
  readonly temperature: number | undefined;
  /** The output-token limit the request set (`max_completion_tokens`, else `max_tokens`); undefined when none. */
  readonly maxTokens: number | undefined;
}

/** Payload of the simulator's `aborted` event. */
export interface SimulatorAbortEvent {
  /** The requested model. */
  readonly model: string;
}

/**
 * Events of `Simulator.events`:
 * - `request`: a chat completion request passed validation and will be answered (or faulted).
 * - `aborted`: a client went away before its chat completion response was complete.
 */
export type SimulatorEventMap = {
  request: [SimulatorRequestEvent];
  aborted: [SimulatorAbortEvent];
};
