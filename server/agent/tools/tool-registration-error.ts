/**
 * Why a tool could not be registered.
 *
 * - `invalid_name`: the name breaks the function-name rule models enforce.
 * - `duplicate_name`: another tool already has the name.
 * - `invalid_timeout`: `timeoutMs` is not a positive number of milliseconds a timer can wait.
 * - `invalid_schema`: the schema cannot be described as a JSON Schema object.
 */
export type ToolRegistrationErrorReason =
  | "invalid_name"
  | "duplicate_name"
  | "invalid_timeout"
  | "invalid_schema";

/**
 * Thrown by a tool registry when a tool cannot be registered. It is a wiring mistake, raised at
 * start-up, so the message names the tool and what to fix.
 */
export class ToolRegistrationError extends Error {
  override readonly name = "ToolRegistrationError";

  constructor(
    message: string,
    /** Why the tool was refused. */
    readonly reason: ToolRegistrationErrorReason,
    /** The name of the tool that was refused. */
    readonly toolName: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Whether `value` is a {@link ToolRegistrationError}.
 */
export function isToolRegistrationError(value: unknown): value is ToolRegistrationError {
  return value instanceof ToolRegistrationError;
}
