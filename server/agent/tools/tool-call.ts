/**
 * A tool call the model asked for.
 */
export interface ToolCallRequest {
  /** The model's id for the call; the executor pairs the outcome with it when answering the model. */
  readonly id: string;
  /** The tool the model asked for; may name no registered tool. */
  readonly name: string;
  /** The arguments as the model wrote them: JSON text, which may be invalid. */
  readonly arguments: string;
}

/**
 * Why a tool call produced no result.
 *
 * - `unknown_tool`: no tool has the requested name.
 * - `invalid_arguments`: the arguments were not JSON, or did not match the tool's schema.
 * - `timeout`: the tool did not finish within its timeout and was abandoned.
 * - `failed`: the tool threw.
 */
export type ToolCallErrorReason = "unknown_tool" | "invalid_arguments" | "timeout" | "failed";

/**
 * How a tool call ended. Either way the text (`result` or `message`) goes back to the model.
 */
export type ToolCallOutcome =
  | {
      readonly status: "ok";
      /** What the tool returned, truncated to the runner's `maxResultChars` with a marker. */
      readonly result: string;
      /** Milliseconds from the start of the call to its end, by the runner's clock. */
      readonly durationMs: number;
    }
  | {
      readonly status: "error";
      readonly reason: ToolCallErrorReason;
      /** Text for the model, starting with "Error", saying what went wrong and what to do next. */
      readonly message: string;
      /** Milliseconds from the start of the call to its end, by the runner's clock. */
      readonly durationMs: number;
    };
