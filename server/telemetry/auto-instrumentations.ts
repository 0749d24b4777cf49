import { createRequire, isBuiltin } from "node:module";
import type { getNodeAutoInstrumentations } from "@opentelemetry/auto-instrumentations-node";

/** An OpenTelemetry instrumentation, as the auto-instrumentations package makes them. */
type Instrumentation = ReturnType<typeof getNodeAutoInstrumentations>[number];

/**
 * The instrumentations on when `OTEL_NODE_ENABLED_INSTRUMENTATIONS` is unset:
 * what the service talks to besides its own spans. `undici` for outgoing HTTP
 * (`fetch`: a JWKS, MCP servers over HTTP), `ioredis` for the cache, limits
 * and signals in Redis, `pg` for the store in PostgreSQL. Not `http`: the
 * service's own `node:http` calls are the model calls, which have spans of
 * their own, and patching the module cost about a tenth of the throughput
 * in `npm run bench:telemetry`; an operator can add it.
 */
export const defaultInstrumentations: readonly string[] = Object.freeze(["undici", "ioredis", "pg"]);

/**
 * Settings of the instrumentations that would otherwise repeat the service's
 * own spans. Incoming HTTP is the RPC, whose server span the service makes
 * (with the RPC's attributes), and the Prometheus endpoint, whose scrapes are
 * no one's trace. The model calls' HTTP client spans are the service's own
 * (with the `chat` span as their parent): they run with tracing suppressed,
 * which both HTTP instrumentations respect. Redis and pg spans are made only
 * under a span, so housekeeping outside any run (polls, heartbeats,
 * write-behind batches) makes no trace of its own.
 */
const instrumentationConfigs = {
  "@opentelemetry/instrumentation-http": { disableIncomingRequestInstrumentation: true },
  "@opentelemetry/instrumentation-ioredis": { requireParentSpan: true },
  "@opentelemetry/instrumentation-pg": { requireParentSpan: true },
} as const;

/**
 * Creates the auto-instrumentations `OTEL_NODE_ENABLED_INSTRUMENTATIONS` and
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS` name (short names, such as `pg`), by
 * default {@link defaultInstrumentations}. Each patches its packages as they
 * load from then on; see {@link loadInstrumentedPackages}.
 */
export async function createAutoInstrumentations(): Promise<Instrumentation[]> {
  const autoInstrumentations = await import("@opentelemetry/auto-instrumentations-node");
  return withDefaultEnabled(() => autoInstrumentations.getNodeAutoInstrumentations(instrumentationConfigs));
}

/**
 * Loads the packages `instrumentations` patch (ioredis, pg, pg-pool) through
 * `require`, so that they are patched before the service's modules import
 * them. The service is ESM, and `import` of a CommonJS package bypasses the
 * `require` hook the instrumentations patch through; it does reuse a package
 * `require` has loaded, patched. That costs nothing at start-up, where the
 * ESM loader hook (`import-in-the-middle`) that would patch imports instead
 * doubles the start-up time: it sees every module the service loads. A
 * package that is not installed (an instrumentation turned on for a library
 * the service does not use) is skipped. Node's own modules need no loading:
 * their instrumentations patch them at once.
 */
export function loadInstrumentedPackages(instrumentations: readonly Instrumentation[]): void {
  const require = createRequire(import.meta.url);
  for (const name of new Set(instrumentations.flatMap(moduleNamesOf))) {
    if (isBuiltin(name)) {
      continue;
    }
    try {
      require(name);
    } catch (err) {
      if (!isModuleNotFound(err)) {
        throw err;
      }
    }
  }
}

function isModuleNotFound(err: unknown): boolean {
  return err instanceof Error && "code" in err && err.code === "MODULE_NOT_FOUND";
}

/**
 * Runs `create` with `OTEL_NODE_ENABLED_INSTRUMENTATIONS` defaulting to
 * {@link defaultInstrumentations}: the package reads the variable itself and
 * otherwise turns on every instrumentation it bundles (some forty). The
 * default is set only for the call, so child processes do not inherit it.
 */
function withDefaultEnabled<T>(create: () => T): T {
  if ((process.env["OTEL_NODE_ENABLED_INSTRUMENTATIONS"] ?? "").trim() !== "") {
    return create();
  }
  process.env["OTEL_NODE_ENABLED_INSTRUMENTATIONS"] = defaultInstrumentations.join(",");
  try {
    return create();
  } finally {
    delete process.env["OTEL_NODE_ENABLED_INSTRUMENTATIONS"];
  }
}

/** The modules an instrumentation patches, such as `pg` and `pg-pool`. */
function moduleNamesOf(instrumentation: Instrumentation): string[] {
  if (!("getModuleDefinitions" in instrumentation) || typeof instrumentation.getModuleDefinitions !== "function") {
    return [];
  }
  const definitions: unknown = instrumentation.getModuleDefinitions();
  return Array.isArray(definitions)
    ? definitions.flatMap((definition: unknown) =>
        typeof definition === "object" && definition !== null && "name" in definition && typeof definition.name === "string" ? [definition.name] : [],
      )
    : [];
}
