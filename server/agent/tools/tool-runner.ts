import type { z } from "zod";
import { formatArgumentIssues } from "./argument-issues.js";
import { callWithTimeout } from "./call-with-timeout.js";
import type { ToolCallErrorReason, ToolCallOutcome, ToolCallRequest } from "./tool-call.js";
import {
  failedMessage,
  invalidArgumentsMessage,
  invalidJsonMessage,
  timeoutMessage,
  unknownToolMessage,
} from "./tool-feedback.js";
import { truncateToolResult } from "./tool-result-truncation.js";
import { resolveToolRunnerOptions, type ToolRunnerOptions } from "./tool-runner-options.js";

/**
 * Runs the tool calls a model asks for.
 */
export interface ToolRunner {
  /**
   * Runs one call: looks the tool up, parses and validates its arguments, and invokes it with a
   * timeout and a signal linked to `signal`.
   *
   * Never rejects because of the tool: an unknown name, bad arguments, a timeout or a thrown
   * error each become an `error` outcome whose message is meant for the model. Rejects only with
   * `signal.reason` when `signal` aborts, so the executor stops the run.
   */
  run(call: ToolCallRequest, signal: AbortSignal): Promise<ToolCallOutcome>;
}

/**
 * Creates a tool runner over `options.registry`. Throws a `RangeError` when an option is out of
 * range (see {@link ToolRunnerOptions}).
 */
export function createToolRunner(options: ToolRunnerOptions): ToolRunner {
  const { registry, defaultTimeoutMs, maxResultChars, clock } = resolveToolRunnerOptions(options);

  async function run(call: ToolCallRequest, signal: AbortSignal): Promise<ToolCallOutcome> {
    signal.throwIfAborted();
    const startedAt = clock();
    const fail = (reason: ToolCallErrorReason, message: string): ToolCallOutcome => ({
      status: "error",
      reason,
      message,
      durationMs: clock() - startedAt,
    });

    const tool = registry.get(call.name);
    if (tool === undefined) {
      const names = registry.list().map((candidate) => candidate.name);
      return fail("unknown_tool", unknownToolMessage(call.name, names));
    }

    const json = parseArguments(call.arguments);
    if (!json.ok) {
      return fail("invalid_arguments", invalidJsonMessage(tool.name, json.message));
    }

    let parsed: z.ZodSafeParseResult<unknown>;
    try {
      parsed = tool.schema.safeParse(json.value);
    } catch (error) {
      // safeParse reports bad input as issues; a throw means a refinement in the tool is broken.
      return fail("failed", failedMessage(tool.name, error));
    }
    if (!parsed.success) {
      const summary = formatArgumentIssues(parsed.error.issues, json.value);
      return fail("invalid_arguments", invalidArgumentsMessage(tool.name, summary));
    }

    const timeoutMs = tool.timeoutMs ?? defaultTimeoutMs;
    let result: unknown;
    try {
      const attempt = await callWithTimeout(
        (toolSignal) => tool.invoke(parsed.data, { signal: toolSignal }),
        timeoutMs,
        signal,
      );
      if (attempt.timedOut) {
        return fail("timeout", timeoutMessage(tool.name, timeoutMs));
      }
      result = attempt.value;
    } catch (error) {
      if (signal.aborted) {
        throw signal.reason;
      }
      return fail("failed", failedMessage(tool.name, error));
    }

    // The type says string, but a tool written in plain JavaScript or cast its way past the
    // compiler could return anything; the model must still get text.
    if (typeof result !== "string") {
      return fail("failed", failedMessage(tool.name, new Error("the tool returned no text")));
    }
    return { status: "ok", result: truncateToolResult(result, maxResultChars), durationMs: clock() - startedAt };
  }

  return { run };
}

type ParsedArguments = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

function parseArguments(text: string): ParsedArguments {
  // Models send "" rather than "{}" for a call without arguments; both mean "no arguments".
  if (text.trim() === "") {
    return { ok: true, value: {} };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : "unparseable text" };
  }
}
