import { isMessage, type Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { ExecuteRequestSchema, StreamRequestSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { invalidArgumentError } from "../errors/error-detail.js";
import { checkRunFields, type RequestLimits } from "../runs/request-rules.js";

/**
 * Rejects requests that break the request rules with INVALID_ARGUMENT before
 * any handler work, listing every broken rule in an `agent.v1.ErrorDetail`.
 */
export function createValidationInterceptor(limits: RequestLimits): Interceptor {
  const check = (message: Message) => {
    if (isMessage(message, ExecuteRequestSchema) || isMessage(message, StreamRequestSchema)) {
      const violations = checkRunFields(message, limits);
      if (violations.length > 0) {
        throw invalidArgumentError(violations);
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
