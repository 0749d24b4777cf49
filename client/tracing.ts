// The SDK's tracing entry, for browsers and bundlers: it imports
// `@opentelemetry/api` (an optional peer dependency) statically, so install
// it next to the SDK to use this entry.
import * as openTelemetry from "@opentelemetry/api";
import type { Interceptor } from "@connectrpc/connect";
import { createTraceInterceptorWith } from "./client-spans.js";

/**
 * Starts a client span for every call and puts its W3C `traceparent` on the
 * request, with the application's global OpenTelemetry setup (a no-op
 * without one). Pass it to a browser client, which traces nothing by itself:
 * `createAgentClient({ baseUrl, interceptors: [createClientTraceInterceptor("connect")] })`.
 * A `traceparent` the caller set by hand is kept as the span's parent.
 */
export function createClientTraceInterceptor(protocol: string): Interceptor {
  return createTraceInterceptorWith(() => openTelemetry, protocol);
}
