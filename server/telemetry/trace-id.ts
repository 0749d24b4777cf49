import { trace, type Span } from "@opentelemetry/api";
import { randomBytes } from "node:crypto";

/** The trace id of the RPC's span; a fresh random one when tracing is off. */
export function traceIdOf(span: Span | undefined): string {
  const context = span?.spanContext();
  if (context !== undefined && trace.isSpanContextValid(context)) {
    return context.traceId;
  }
  return randomBytes(16).toString("hex");
}
