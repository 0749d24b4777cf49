import type { ConnectRouter } from "@connectrpc/connect";
import type { Logger } from "pino";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { RunService } from "../gen/agent/v1/run_service_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { createAgentExecutor } from "./agent/agent-executor.js";
import { createBuiltinTools, createToolRegistry, createToolRunner, type AgentTool } from "./agent/tools/index.js";
import type { Config } from "./config.js";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { startHttpServer } from "./http-server.js";
import { describeStartupFailure } from "./startup-error.js";
import { createLogger } from "./logger.js";
import { createChatModel } from "./model/chat-model.js";
import { streamingChatModelOf } from "./model/chat-model-stream.js";
import { createModelGateway } from "./model/model-gateway.js";
import { createModelPolicy } from "./model/model-policy.js";
import { createResponseCache } from "./model/cache/index.js";
import { cachedTurnSchema, cachedTurnVersion, type CachedTurn } from "./model/cached-turn.js";
import { createCacheObserver } from "./telemetry/cache-observer.js";
import { createPriceTable } from "./model/pricing.js";
import { defaultPrompt } from "./prompts/prompt-version.js";
import { createAgentService } from "./rpc/agent-service.js";
import { canceledByRequest, createRunService } from "./rpc/run-service.js";
import { createGetThreadHandler } from "./rpc/get-thread.js";
import { createLiveRuns } from "./runs/live-runs.js";
import { createPostgresRunSignals } from "./runs/postgres-run-signals.js";
import { anonymous, createRunLifecycle } from "./runs/run-lifecycle.js";
import { createLocalRunSignals } from "./runs/run-signals.js";
import { createRunWatcher } from "./runs/run-watch.js";
import { loadThreadHistory } from "./runs/thread-history.js";
import { createRunRecorder } from "./runs/run-recorder.js";
import { startRunRetention } from "./runs/run-retention.js";
import { openStore, openStoreInWorker } from "./store/index.js";
import { createGrpcHealthService } from "./rpc/grpc-health-service.js";
import { createHealthStatus } from "./rpc/health-status.js";
import { createTraceInterceptor } from "./rpc/trace-interceptor.js";
import { createUnknownRouteHandler } from "./rpc/unknown-route.js";
import { createMetricsInterceptor } from "./rpc/metrics-interceptor.js";
import { createRunLimiter } from "./rpc/run-limiter.js";
import { createValidationInterceptor } from "./rpc/validation-interceptor.js";
import { guardRequestMessages } from "./rpc/request-message-guard.js";
import { createStrictJsonOptions } from "./rpc/strict-json-decoder.js";
import { createSimulator, type Simulator } from "./simulator/index.js";
import { createMetricsProvider } from "./telemetry/metrics-provider.js";
import { createServiceMetrics } from "./telemetry/service-metrics.js";
import { redact } from "./telemetry/redaction.js";
import { createTracedFetch } from "./telemetry/traced-fetch.js";
import { createTracing } from "./telemetry/tracing.js";

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
   * What a new embedded store starts from instead of PGlite's initdb
   * (`createStoreTemplate()`), for processes that start many services, such
   * as tests. Default none.
   */
  readonly pgliteTemplate?: Blob;
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
  /** Graceful shutdown (see README); `graceMs` defaults to `SHUTDOWN_GRACE_MS`. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * The composition root: builds every piece from the configuration, wires
 * them explicitly, and starts serving.
 */
export async function startAgentService(
  config: Config,
  options: AgentServiceRuntimeOptions = {},
): Promise<RunningAgentService> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const version = packageVersion();
  // What has been started, closed in reverse if a later step fails.
  const closers: (() => Promise<void>)[] = [];
  try {
    const telemetry = createTracing({
      serviceName: config.telemetry.serviceName,
      serviceVersion: version,
      otlpUrl: config.telemetry.otlpTracesUrl,
      otlpHeaders: config.telemetry.otlpHeaders,
      recordContent: config.telemetry.recordContent,
      exportDelayMs: config.telemetry.spanExportDelayMs,
      spanFile: config.telemetry.spanFile,
      logger,
    });
    closers.push(() => telemetry.shutdown());
    const tracedFetch = createTracedFetch(telemetry.tracer, telemetry.propagator);
    const metricsProvider = await createMetricsProvider({
      logger,
      serviceName: config.telemetry.serviceName,
      serviceVersion: version,
      ...(config.telemetry.prometheus === undefined ? {} : { prometheus: config.telemetry.prometheus }),
      ...(config.telemetry.otlpMetricsUrl === undefined
        ? {}
        : {
            otlp: {
              url: config.telemetry.otlpMetricsUrl,
              headers: config.telemetry.otlpHeaders,
              intervalMs: config.telemetry.metricExportIntervalMs,
            },
          }),
    });
    closers.push(() => metricsProvider.shutdown());
    const metrics = createServiceMetrics(metricsProvider.meter);
    let stopping = false;
    let shutdown: Promise<void> | undefined;

    // Models without a base URL of their own use OPENAI_BASE_URL, or else the
    // built-in simulator, started in-process to serve them.
    const simulated = config.models.filter((m) => m.baseUrl === undefined && config.openaiBaseUrl === undefined);
    const simulator =
      simulated.length > 0
        ? await createSimulator({ models: simulated.map((m) => m.name), faults: [...config.simulatorFaults] })
        : undefined;
    if (simulator !== undefined) {
      closers.push(() => simulator.close());
      logger.info(
        { base_url: simulator.url, models: simulated.map((m) => m.name) },
        "no OPENAI_BASE_URL set: using the built-in model simulator",
      );
    }
    const prices = createPriceTable(
      Object.fromEntries(config.models.flatMap((m) => (m.price === undefined ? [] : [[m.name, m.price]]))),
    );
    const cache =
      config.cache === undefined
        ? undefined
        : createResponseCache<CachedTurn>({
            version: cachedTurnVersion,
            schema: cachedTurnSchema,
            maxEntries: config.cache.maxEntries,
            maxBytes: config.cache.maxBytes,
            ttlMs: config.cache.ttlMs,
            redisUrl: config.cache.redisUrl,
            redisTimeoutMs: config.cache.redisTimeoutMs,
            // The version in the prefix keeps replicas of two releases out of each other's entries.
            keyPrefix: `agent:cache:v${cachedTurnVersion}:`,
            logger,
            onEvent: createCacheObserver(metrics, logger),
          });
    if (cache !== undefined) {
      closers.push(() => cache.close());
    }
    const gateway = createModelGateway({
      models: config.models.map((model) => {
        const baseUrl = model.baseUrl ?? config.openaiBaseUrl ?? simulator?.url ?? "";
        return {
          name: model.name,
          chat: streamingChatModelOf(
            createChatModel({
              model: model.name,
              baseUrl,
              apiKey: model.apiKey ?? config.openaiApiKey ?? "simulator",
              temperature: model.temperature,
              tracer: telemetry.tracer,
              propagator: telemetry.propagator,
              fetch: tracedFetch,
            }),
          ),
          policy: createModelPolicy(model.policy),
          // Sampled answers differ from call to call: cached only when a deployment opts in.
          cacheScope:
            model.temperature === 0 || model.cacheAnyTemperature
              ? JSON.stringify([baseUrl, model.name, model.temperature])
              : undefined,
        };
      }),
      prices,
      cache,
      telemetry: {
        tracer: telemetry.tracer,
        contentRedactor: telemetry.recordContent ? redact : undefined,
        onCall(call) {
          metrics.recordModelCall(call);
          if (call.outcome === "ok") {
            // Until callers authenticate, every run belongs to one principal.
            metrics.recordTokens({ ...call, principal: "anonymous" });
          }
        },
      },
    });
    metrics.observeBreakers(() => gateway.status().map((m) => ({ model: m.name, state: m.breaker })));

    const health = createHealthStatus([AgentService.typeName]);
    // Probes see NOT_SERVING while every model's breaker is open: no run can succeed.
    const updateServing = () => {
      const serving = gateway.status().some((m) => m.breaker !== "open");
      health.setAll(serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    };
    gateway.subscribe((event) => {
      if (event.type === "breaker") {
        const log = event.state === "open" ? logger.warn.bind(logger) : logger.info.bind(logger);
        log({ model: event.model, state: event.state }, `circuit breaker of ${event.model} is ${event.state}`);
        if (!stopping) {
          updateServing();
        }
      } else {
        logger.info(
          { model: event.model, attempt: event.attempt, delay_ms: event.delayMs, reason: event.reason },
          `retrying ${event.model}`,
        );
      }
    });

    const tools = createToolRegistry(options.tools ?? createBuiltinTools());
    const executor = createAgentExecutor({
      gateway,
      tools,
      toolRunner: createToolRunner({ registry: tools, defaultTimeoutMs: config.toolTimeoutMs }),
      prompt: defaultPrompt,
      tracer: telemetry.tracer,
      onToolCall: (call) => metrics.recordToolCall(call),
    });
    const limiter = createRunLimiter({ maxConcurrent: config.maxConcurrentRuns, maxQueued: config.maxQueuedRuns });
    metrics.observeQueued(() => limiter.queued());

    const pgliteTemplate =
      options.pgliteTemplate ?? (config.store.dataTemplate === undefined ? undefined : await readStoreTemplate(config.store.dataTemplate));
    // PostgreSQL does its work in the database server; embedded PGlite does it in a thread of its own,
    // except in memory (`memory://`, which keeps nothing: for tests and trials), where starting fast matters more.
    const template = pgliteTemplate === undefined ? {} : { pgliteTemplate };
    const store =
      config.store.databaseUrl !== undefined
        ? await openStore({ databaseUrl: config.store.databaseUrl, dataDir: config.store.dataDir, poolSize: config.store.poolSize, logger })
        : config.store.dataDir === "memory://"
          ? await openStore({ dataDir: config.store.dataDir, ...template })
          : await openStoreInWorker({ dataDir: config.store.dataDir, ...template });
    closers.push(() => store.close());
    logger.info(
      { store: store.kind, ...(store.kind === "pglite" ? { data_dir: config.store.dataDir } : {}) },
      store.kind === "pglite" ? `runs are recorded in embedded PGlite under ${config.store.dataDir}` : "runs are recorded in PostgreSQL",
    );
    if (store.kind === "pglite") {
      // Only this process opens the embedded store: a run still running in it belonged to one that stopped.
      const interrupted = await store.endInterruptedRuns(new Date());
      if (interrupted > 0) {
        logger.warn({ runs: interrupted }, "runs left running by a process that stopped are recorded as failed (INTERRUPTED)");
      }
    }
    // Watch and cancel reach other replicas through PostgreSQL; the embedded store has no others.
    const signals =
      config.store.databaseUrl === undefined
        ? createLocalRunSignals()
        : await createPostgresRunSignals({ connectionString: config.store.databaseUrl, logger });
    closers.push(() => signals.close());
    const live = createLiveRuns();
    signals.onCancel((runId) => live.cancel(runId, canceledByRequest(runId)));
    const recorder = createRunRecorder({
      store,
      logger,
      maxQueued: config.store.maxQueuedRecords,
      flushDelayMs: config.store.batchMs,
      onStored: (runIds) => signals.publishStored([...runIds]),
      observer: {
        onWrite: (write) => metrics.recordRunStoreWrite(write),
        onDropped: (dropped) => metrics.recordRunRecordsDropped(dropped),
      },
    });
    metrics.observeRunStoreQueue(() => recorder.queued());
    // Closed before the store (closers run in reverse): every acknowledged record is written first.
    closers.push(async () => {
      await recorder.close(config.store.flushTimeoutMs);
    });
    const watcher = createRunWatcher({ store, live, signals, logger });
    const retention = startRunRetention({ store, logger, retentionDays: config.store.retentionDays });
    closers.push(() => retention.stop());

    const limits = {
      maxInputChars: config.maxInputChars,
      maxIterations: config.maxIterations,
      maxIterationsCap: config.maxIterationsCap,
      maxExecutionTimeMs: config.maxExecutionTimeMs,
      maxExecutionTimeCapMs: config.maxExecutionTimeCapMs,
    };
    const routes = (router: ConnectRouter) => {
      router.service(
        AgentService,
        createAgentService({
          lifecycle: createRunLifecycle({
            executor,
            limits,
            limiter,
            metrics,
            logger,
            recorder,
            store,
            live,
            watcher,
            threadHistory: (thread) =>
              loadThreadHistory(store, thread, { maxRuns: config.threads.historyRuns, maxChars: config.threads.historyChars }),
            idempotencyTtlMs: config.store.idempotencyTtlHours * 3_600_000,
            durableWaitMs: config.store.flushTimeoutMs,
          }),
          health,
          models: () => gateway.status(),
          cache: () => cache?.state(),
          version,
        }),
      );
      router.service(
        RunService,
        createRunService({
          store,
          recorder,
          logger,
          live,
          watcher,
          signals,
          getThread: createGetThreadHandler({ store, recorder, logger, principalOf: () => anonymous }),
        }),
      );
      router.service(Health, createGrpcHealthService(health));
      // Last, so that it covers every method registered above.
      guardRequestMessages(router, { maxBytes: config.http.maxRequestBytes, logger });
    };

    const server = await startHttpServer({
      host: config.host,
      port: config.port,
      routes,
      interceptors: [
        createTraceInterceptor(telemetry.tracer, telemetry.propagator),
        createMetricsInterceptor(metrics),
        createValidationInterceptor(limits),
      ],
      limits: config.http,
      maxDeadlineMs: config.maxExecutionTimeCapMs,
      readMaxBytes: config.http.maxRequestBytes,
      jsonOptions: createStrictJsonOptions({ maxDepth: config.http.maxJsonDepth, logger }),
      fallback: createUnknownRouteHandler(
        Object.fromEntries([AgentService, RunService, Health].map((s) => [s.typeName, s.methods.map((m) => m.name)])),
      ),
      logger,
    });

    if (metricsProvider.prometheusUrl !== undefined) {
      logger.info({ metrics_url: metricsProvider.prometheusUrl }, `Prometheus metrics on ${metricsProvider.prometheusUrl}`);
    }
    return {
      url: server.url,
      port: server.port,
      metricsUrl: metricsProvider.prometheusUrl,
      simulator,
      shutdown(graceMs = config.shutdownGraceMs) {
        shutdown ??= (async () => {
          stopping = true;
          // Probes see NOT_SERVING first, so load balancers stop sending work;
          // then their watches end, so they do not hold the shutdown up.
          health.setAll(ServingStatus.NOT_SERVING);
          health.close();
          await server.shutdown(graceMs);
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

/** Runs every closer, last started first, even when some fail; then reports the failures. */
async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  const results = await closers
    .splice(0)
    .reverse()
    .reduce<Promise<PromiseSettledResult<void>[]>>(
      async (done, close) => [...(await done), ...(await Promise.allSettled([close()]))],
      Promise.resolve([]),
    );
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    throw new AggregateError(failures, "some parts of the service did not close cleanly");
  }
}

/** The version in the package's package.json, found from this file upwards (source or build). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) {
      continue;
    }
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string") {
      return parsed.version;
    }
  }
  return "unknown";
}

/** The `AGENT_DATA_TEMPLATE` file, or a start-up error naming it. */
async function readStoreTemplate(path: string): Promise<Blob> {
  try {
    return new Blob([await readFile(path)]);
  } catch (err) {
    throw new Error(`AGENT_DATA_TEMPLATE: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
