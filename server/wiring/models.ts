import type { Logger } from "pino";
import type { Config } from "../config.js";
import { createResponseCache, type ResponseCache } from "../model/cache/index.js";
import { cachedTurnSchema, cachedTurnVersion, type CachedTurn } from "../model/cached-turn.js";
import { createChatModel } from "../model/chat-model.js";
import { streamingChatModelOf } from "../model/chat-model-stream.js";
import { createModelGateway, type ModelGateway } from "../model/model-gateway.js";
import { createModelPolicy } from "../model/model-policy.js";
import { createPriceTable } from "../model/pricing.js";
import { createSimulator, type Simulator } from "../simulator/index.js";
import { redact } from "../telemetry/redaction.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";
import type { Fetch } from "../telemetry/traced-fetch.js";
import type { Tracing } from "../telemetry/tracing.js";
import { createCacheObserver } from "./cache-observer.js";
import type { Closers } from "./closers.js";

/** What {@link wireModels} needs. */
export interface ModelWiringOptions {
  readonly config: Pick<Config, "models" | "openaiBaseUrl" | "simulatorFaults" | "cache">;
  /** The API key each model's calls send, read at each call (see `SecretParts.providerKey`). */
  readonly providerKey: (model: string) => () => string;
  /** `REDIS_URL` for the cache's shared tier, read at each reconnection; undefined without Redis. */
  readonly redisUrl: (() => string) | undefined;
  readonly tracing: Tracing;
  /** `fetch` for the model HTTP calls, carrying the trace. */
  readonly tracedFetch: Fetch;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
}

/** The models side of the service. */
export interface ModelParts {
  /** The in-process simulator, when some model has no provider. */
  readonly simulator: Simulator | undefined;
  /** The response cache; undefined when it is off. */
  readonly cache: ResponseCache<CachedTurn> | undefined;
  /** The one way the service calls models. */
  readonly gateway: ModelGateway;
}

/**
 * Starts the simulator when a model needs it, then the response cache, and
 * builds the model gateway over them; its breaker changes and retries are
 * logged, and its breakers observed by the metrics.
 */
export async function wireModels(options: ModelWiringOptions, closers: Closers): Promise<ModelParts> {
  const { config, providerKey, redisUrl, tracing, tracedFetch, metrics, logger } = options;
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
          redisUrl,
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
            // Read per call: calls after a reload send the reread key, calls under way keep theirs.
            apiKey: providerKey(model.name),
            temperature: model.temperature,
            tracer: tracing.tracer,
            propagator: tracing.propagator,
            fetch: tracedFetch,
          }),
        ),
        policy: createModelPolicy(model.policy),
        structuredOutput: model.structuredOutput,
        temperature: model.temperature,
        cacheSampled: model.cacheAnyTemperature,
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
      tracer: tracing.tracer,
      contentRedactor: tracing.recordContent ? redact : undefined,
      onCall(call) {
        // Tokens are recorded per principal by the run lifecycle, which knows whose run it is.
        metrics.recordModelCall(call);
      },
    },
  });
  metrics.observeBreakers(() => gateway.status().map((m) => ({ model: m.name, state: m.breaker })));
  gateway.subscribe((event) => {
    if (event.type === "breaker") {
      const log = event.state === "open" ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ model: event.model, state: event.state }, `circuit breaker of ${event.model} is ${event.state}`);
    } else {
      logger.info(
        { model: event.model, attempt: event.attempt, delay_ms: event.delayMs, reason: event.reason },
        `retrying ${event.model}`,
      );
    }
  });
  return { simulator, cache, gateway };
}
