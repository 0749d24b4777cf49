import type { Interceptor } from "@connectrpc/connect";
import { createTraceInterceptorWith, type OpenTelemetryApi } from "./client-spans.js";

let loading: Promise<OpenTelemetryApi | undefined> | undefined;

/**
 * `@opentelemetry/api`, loaded on the first call: it is an optional peer
 * dependency, so an application without it gets untraced calls rather than
 * an import that fails. Any other failure to load it is a broken install,
 * and surfaces.
 */
function loadOpenTelemetry(): Promise<OpenTelemetryApi | undefined> {
  loading ??= import("@opentelemetry/api").then(
    (api) => api,
    (err: unknown) => {
      if (isModuleNotFound(err)) {
        return undefined;
      }
      throw err;
    },
  );
  return loading;
}

/** Node.js's error for an import nothing resolves (`ERR_MODULE_NOT_FOUND`), by its code. */
function isModuleNotFound(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND";
}

/**
 * Starts a client span for every call and puts its W3C `traceparent` on the
 * request, so the caller's trace continues into the agent service. Uses the
 * application's global OpenTelemetry setup, through `@opentelemetry/api`
 * when it is installed (an optional peer dependency); without it, or without
 * a setup, it does nothing. A `traceparent` the caller set by hand is kept as
 * the span's parent. The Node.js client adds it unless `tracing: false`.
 */
export function createClientTraceInterceptor(protocol: string): Interceptor {
  return createTraceInterceptorWith(loadOpenTelemetry, protocol);
}
