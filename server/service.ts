import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { AgentTool } from "./agent/tools/index.js";
import type { Config } from "./config.js";
import type { PromptDeclaration } from "./prompts/prompt-declaration.js";
import { describeStartupFailure } from "./startup-error.js";
import { createLogger } from "./logger.js";
import { observeCacheTiers } from "./telemetry/cache-tier-metrics.js";
import type { ProcessTelemetry } from "./telemetry/process-telemetry.js";
import type { Simulator } from "./simulator/index.js";
import { wireAudit } from "./wiring/audit.js";
import { wireAuth } from "./wiring/auth.js";
import { wireInjectionScreens, wireRedaction } from "./wiring/guard.js";
import { wirePrincipalLimiter } from "./wiring/limits.js";
import { closeAll, type Closer } from "./wiring/closers.js";
import { wireAgentExecutor } from "./wiring/executor.js";
import { wireHealth } from "./wiring/health.js";
import { wireMcpServers } from "./wiring/mcp.js";
import { wireModels } from "./wiring/models.js";
import { wirePrompts } from "./wiring/prompts.js";
import { packageVersion } from "./wiring/package-version.js";
import { requestLimitsOf } from "./wiring/request-limits.js";
import { createRoutes } from "./wiring/routes.js";
import { startRpcServer } from "./wiring/rpc-server.js";
import { wireRunLimiter } from "./wiring/run-limiter.js";
import { wireRuns } from "./wiring/runs.js";
import { wireSecrets } from "./wiring/secrets.js";
import { openRunStore } from "./wiring/store.js";
import { wireTelemetry } from "./wiring/telemetry.js";

/** Options for {@link startAgentService}, besides the configuration. */
export interface AgentServiceRuntimeOptions {
  /** Logger; default a JSON logger on standard output at the configured level. */
  readonly logger?: Logger;
  /**
   * The tools the agent may call. Default the built-in ones; to extend them,
   * pass `[...createBuiltinTools(), ...yourTools]`.
   */
  readonly tools?: readonly AgentTool[];
  /**
   * The deployment's own prompts, each an `AGENT_PROMPTS_FILE` entry as an
   * object. Start-up registers them after the built-in `default` (a prompt
   * named `default` here replaces it) and before the file's entries, and
   * activates each unless it says `activate: false`, idempotently, as it
   * does the file's. `AGENT_DEFAULT_PROMPT` may name one. Default none.
   */
  readonly prompts?: readonly PromptDeclaration[];
  /**
   * What a new embedded store starts from instead of PGlite's initdb
   * (`createStoreTemplate()`), for processes that start many services, such
   * as tests. Default none.
   */
  readonly pgliteTemplate?: Blob;
  /**
   * The process's OpenTelemetry SDK (`startProcessTelemetry`, which the
   * process entry starts): the service's tracer and meter come from its
   * providers, whose spans nest with the auto-instrumented ones (Redis, pg,
   * HTTP). Default none: the service builds providers of its own from the
   * configuration, as a test that starts many services in one process does.
   */
  readonly telemetry?: ProcessTelemetry;
}

/** The running service. */
export interface RunningAgentService {
  /** Base URL of the RPC port. */
  readonly url: string;
  readonly port: number;
  /** Where Prometheus scrapes metrics, when enabled. */
  readonly metricsUrl: string | undefined;
  /** The in-process simulator, when no provider is configured. */
  readonly simulator: Simulator | undefined;
  /**
   * Rereads the files that can change while the service runs (SIGHUP): the
   * API keys file, and every secret setting given as `NAME_FILE`: provider
   * keys (`OPENAI_API_KEY`, the models' `apiKeyEnv`) for the model calls
   * started after it; `AGENT_JWT_PUBLIC_KEY` for the tokens verified after
   * it; the user name and password of `DATABASE_URL` and `REDIS_URL` for the
   * connections opened after it; `OTEL_EXPORTER_OTLP_HEADERS` for the exports
   * after it. Runs, calls and connections under way go on with what they
   * started with; nothing is rebuilt, so breakers, caches and pools keep
   * their state. Each file is logged on a line of its own, by name, never by
   * value; one that cannot be read or used leaves the old value in force and
   * is logged as an error. Never rejects.
   */
  reload(): Promise<void>;
  /** Graceful shutdown (see README); `graceMs` defaults to `SHUTDOWN_GRACE_MS`. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * The composition root: builds every piece from the configuration, wires
 * them explicitly, and starts serving. Each step lives in `./wiring/`; a step
 * that starts something registers its closer in `closers` as soon as it has.
 */
export async function startAgentService(
  config: Config,
  options: AgentServiceRuntimeOptions = {},
): Promise<RunningAgentService> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const version = packageVersion();
  // What has been started, closed in reverse if a later step fails.
  const closers: Closer[] = [];
  try {
    // First: everything after it reads its secrets through these, at each use.
    const secrets = wireSecrets({ config, logger });
    const { tracing, tracedFetch, metricsProvider, metrics } = await wireTelemetry(
      { settings: config.telemetry, otlpHeaders: secrets.otlpHeaders, version, logger, processTelemetry: options.telemetry },
      closers,
    );
    const { simulator, cache, gateway } = await wireModels(
      { config, providerKey: secrets.providerKey, redisUrl: secrets.redisUrl, tracing, tracedFetch, metrics, logger },
      closers,
    );
    if (cache !== undefined) {
      const stopObservingCache = observeCacheTiers(metricsProvider.meter, () => cache.state());
      closers.push(async () => stopObservingCache());
    }
    const health = wireHealth({ gateway });
    const screens = wireInjectionScreens(config.injectionScreen);
    const redaction = wireRedaction(config.redaction);
    const { executor, tools } = wireAgentExecutor({
      screenToolResult: screens.toolResult,
      tools: options.tools,
      toolTimeoutMs: config.toolTimeoutMs,
      gateway,
      tracer: tracing.tracer,
      metrics,
    });
    // Before the prompts, which may list the servers' tools; a server that is down does not hold start-up up.
    const mcp = await wireMcpServers(
      { servers: config.mcpServers, registry: tools, toolTimeoutMs: config.toolTimeoutMs, secret: secrets.secret, version, meter: metricsProvider.meter, logger },
      closers,
    );
    const limiter = wireRunLimiter({ config, metrics });
    // Opened before the run signals, recorder and retention, so closed after them (closers run in reverse).
    const store = await openRunStore(
      { settings: config.store, databaseUrl: secrets.databaseUrl, pgliteTemplate: options.pgliteTemplate, logger },
      closers,
    );
    const runs = await wireRuns({ store, settings: config.store, databaseUrl: secrets.databaseUrl, metrics, logger }, closers);
    // After the store, so closed before it; the shutdown closes it once the runs and the RPCs have stopped.
    const audit = wireAudit({ store, settings: config.store, meter: metricsProvider.meter, logger }, closers);
    // After the audit log, which records what start-up registers and activates.
    const prompts = await wirePrompts({ settings: config.prompts, fromCode: options.prompts ?? [], store, audit, toolNames: mcp.toolNames, meter: metricsProvider.meter, logger }, closers);

    const auth = await wireAuth({ settings: config.auth, jwtPublicKeyFile: config.secretFiles["AGENT_JWT_PUBLIC_KEY"], logger });
    const principalLimiter = wirePrincipalLimiter({ settings: config.limits, redisUrl: secrets.redisUrl, logger }, closers);
    const limits = requestLimitsOf(config);
    // Runs outlive their RPC (a keyed run whose caller went away goes on): the shutdown stops them itself.
    const stopRuns = new AbortController();
    const server = await startRpcServer({
      config,
      routes: createRoutes({
        config,
        executor,
        limits,
        limiter,
        store,
        runs,
        prompts,
        audit,
        health: health.status,
        mcpServers: mcp.status,
        gateway,
        cache,
        version,
        metrics,
        logger,
        stopping: stopRuns.signal,
        principalLimiter,
        ...(redaction === undefined ? {} : { redaction }),
        tracer: tracing.tracer,
      }),
      limits,
      authenticator: auth.authenticator,
      ...(screens.input === undefined ? {} : { screenInput: screens.input }),
      principalLimiter,
      audit,
      tracing,
      metrics,
      logger,
      readiness: () => health.readiness(store),
      version,
    });

    if (metricsProvider.prometheusUrl !== undefined) {
      logger.info({ metrics_url: metricsProvider.prometheusUrl }, `Prometheus metrics on ${metricsProvider.prometheusUrl}`);
    }
    let shutdown: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      metricsUrl: metricsProvider.prometheusUrl,
      simulator,
      async reload() {
        await auth.reload();
        await secrets.reload();
      },
      shutdown(graceMs = config.shutdownGraceMs) {
        shutdown ??= (async () => {
          // Probes see NOT_SERVING first, so load balancers stop sending work;
          // then their watches end, so they do not hold the shutdown up.
          health.stopServing();
          // Runs without an RPC of their own get the same grace as those with one, then stop with them.
          const graceOver = setTimeout(
            () => stopRuns.abort(new ConnectError("the server is shutting down; retry on another replica", Code.Unavailable)),
            graceMs,
          );
          await Promise.all([server.shutdown(graceMs), runs.live.idle()]);
          clearTimeout(graceOver);
          await closeAll(closers);
        })();
        return shutdown;
      },
    };
  } catch (err) {
    await closeAll(closers).catch((closeError: unknown) => logger.error({ err: closeError }, "cleanup after a failed start failed"));
    throw describeStartupFailure(err, config);
  }
}
