import type { ConnectRouter } from "@connectrpc/connect";
import type { Logger } from "pino";
import { createDenialAuditInterceptor } from "../audit/denial-interceptor.js";
import { createAuthInterceptor } from "../auth/auth-interceptor.js";
import type { Authenticator } from "../auth/authenticator.js";
import type { Config } from "../config.js";
import { startHttpServer, type HttpServer } from "../http-server.js";
import { createRateLimitInterceptor } from "../limits/rate-limit-interceptor.js";
import type { PrincipalLimiter } from "../limits/principal-limiter.js";
import { createErrorBoundary } from "../rpc/error-boundary.js";
import { createMetricsInterceptor } from "../rpc/metrics-interceptor.js";
import { createStrictJsonOptions } from "../rpc/strict-json-decoder.js";
import { createTraceInterceptor } from "../rpc/trace-interceptor.js";
import { createUnknownRouteHandler } from "../rpc/unknown-route.js";
import { withHttpProbes, type Readiness } from "../rpc/http-probes.js";
import { createValidationInterceptor, type InputScreenCheck } from "../rpc/validation-interceptor.js";
import type { RequestLimits } from "../runs/request-rules.js";
import type { AuditAppender } from "../runs/run-audit.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";
import type { Tracing } from "../telemetry/tracing.js";
import { withViewer } from "../ui/viewer-route.js";
import { routedServices } from "./routes.js";

/** What {@link startRpcServer} needs. */
export interface RpcServerWiringOptions {
  readonly config: Pick<Config, "host" | "port" | "http" | "cors" | "maxExecutionTimeCapMs" | "ui">;
  /** Registers the services (see `createRoutes`). */
  readonly routes: (router: ConnectRouter) => void;
  /** The limits the request rules check before any handler. */
  readonly limits: RequestLimits;
  /** Who is calling: every method but health and reflection needs a principal. */
  readonly authenticator: Authenticator;
  /** Screens each run's input for prompt injection, with the request rules; default none. */
  readonly screenInput?: InputScreenCheck;
  /** Each principal's requests per minute, counted right after authentication. */
  readonly principalLimiter: PrincipalLimiter;
  /** Where refused calls are appended to the audit log. */
  readonly audit: AuditAppender;
  readonly tracing: Tracing;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  /** What `GET /readyz` answers. */
  readonly readiness: () => Promise<Readiness>;
  /** The service's version, which the run viewer shows. */
  readonly version: string;
}

/**
 * Starts serving the routes on the RPC port, behind the interceptors in
 * DESIGN.md's order: the error boundary (outermost, so that every error
 * leaves with a code from the closed set), the span, metrics, the audit of
 * refused calls (inside the span, for its trace id; outside authentication
 * and the limits, to see their refusals), authentication, the principal's
 * rate limit, then the request rules. Requests no route matches go to the
 * HTTP probes, then the run viewer under `/ui/` (its data comes from the
 * RPCs, behind the same interceptors), then the unknown-route answer.
 */
export function startRpcServer(options: RpcServerWiringOptions): Promise<HttpServer> {
  const { config, routes, limits, authenticator, principalLimiter, audit, tracing, metrics, logger } = options;
  return startHttpServer({
    host: config.host,
    port: config.port,
    routes,
    interceptors: [
      createErrorBoundary(logger),
      createTraceInterceptor(tracing.tracer, tracing.propagator),
      createMetricsInterceptor(metrics),
      createDenialAuditInterceptor(audit),
      createAuthInterceptor(authenticator),
      createRateLimitInterceptor(principalLimiter),
      createValidationInterceptor(limits, options.screenInput),
    ],
    limits: config.http,
    maxDeadlineMs: config.maxExecutionTimeCapMs,
    corsOrigins: config.cors.allowedOrigins,
    readMaxBytes: config.http.maxRequestBytes,
    jsonOptions: createStrictJsonOptions({ maxDepth: config.http.maxJsonDepth, logger }),
    fallback: withHttpProbes(
      { readiness: options.readiness },
      withViewer(
        {
          enabled: config.ui !== undefined,
          assetsDir: config.ui?.dir,
          // The local dev principal needs no credentials; keys or JWT do.
          auth: authenticator.mode === "dev" ? "none" : "bearer",
          jaegerUrl: config.ui?.jaegerUrl,
          version: options.version,
          logger,
        },
        createUnknownRouteHandler(Object.fromEntries(routedServices.map((s) => [s.typeName, s.methods.map((m) => m.name)]))),
      ),
    ),
    logger,
  });
}
