import { create, isMessage, type Message } from "@bufbuild/protobuf";
import { Code, type Interceptor } from "@connectrpc/connect";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import { ExecuteRequestSchema, StreamRequestSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { connectErrorWithDetail, invalidArgumentError } from "../errors/error-detail.js";
import { checkRunFields, type RequestLimits } from "../runs/request-rules.js";

/** Screens a run's input for prompt injection; see `server/guard/input-screen.ts`. */
export type InputScreenCheck = (input: string) => { readonly allowed: boolean; readonly rule?: { readonly id: string; readonly description: string } };

/**
 * Rejects requests that break the request rules with INVALID_ARGUMENT before
 * any handler work, listing every broken rule in an `agent.v1.ErrorDetail`;
 * then, with `screen`, an input that looks like a prompt injection
 * (reason `INPUT_REJECTED`, naming the rule, never echoing the input).
 */
export function createValidationInterceptor(limits: RequestLimits, screen?: InputScreenCheck): Interceptor {
  const check = (message: Message) => {
    if (isMessage(message, ExecuteRequestSchema) || isMessage(message, StreamRequestSchema)) {
      const violations = checkRunFields(message, limits);
      if (violations.length > 0) {
        throw invalidArgumentError(violations);
      }
      const verdict = screen?.(message.input);
      if (verdict !== undefined && !verdict.allowed) {
        const rule = verdict.rule ?? { id: "prompt-injection", description: "looks like a prompt injection" };
        throw connectErrorWithDetail(
          `invalid request: input was rejected by the prompt-injection screen (rule ${rule.id}: ${rule.description}); rephrase the task as a request for the agent`,
          Code.InvalidArgument,
          { reason: "INPUT_REJECTED", fieldViolations: [create(FieldViolationSchema, { field: "input", description: `matches the prompt-injection rule ${rule.id}` })] },
        );
      }
    }
  };
  return (next) => async (req) => {
    if (!req.stream) {
      check(req.message);
      return next(req);
    }
    // Server-streaming methods such as Stream receive their request as a
    // stream too: check each message as the handler reads it, before it acts.
    const messages = req.message;
    return next({
      ...req,
      message: (async function* () {
        for await (const message of messages) {
          check(message);
          yield message;
        }
      })(),
    });
  };
}
