import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import { createErrorBrand } from "../errors/error-brand.js";
import { secretReader, type SecretSource } from "../secret-source.js";
import { postgresClientClass } from "../store/index.js";
import { createLocalRunSignals, type RunSignals } from "./run-signals.js";

/** The channels run signals travel on; channels are per database, so replicas share the store's. */
export const runSignalChannels = { stored: "agent_run_stored", cancel: "agent_run_cancel" } as const;

/** Options of {@link createPostgresRunSignals}. */
export interface PostgresRunSignalsOptions {
  /**
   * `postgres://user:password@host:port/database`: the store's database. A
   * function is read for each new connection, so a password reread on
   * SIGHUP applies from the next one on.
   */
  readonly connectionString: SecretSource;
  readonly logger: Logger;
  /** Names this replica in what it sends, so it can ignore its own echoes. Default: a random UUID. */
  readonly replicaId?: string;
  /** Wait before the first reconnect of the listening connection; doubles up to {@link maxReconnectDelayMs}. Default 100 ms. */
  readonly reconnectDelayMs?: number;
  /** Longest wait between two reconnects while PostgreSQL is unreachable. Default 5,000 ms. */
  readonly maxReconnectDelayMs?: number;
  /** Longest wait to connect, and for the answer to a LISTEN, a NOTIFY or a health check. Default 5,000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * How often the listening connection is probed with `SELECT 1`. A network
   * that goes silent breaks no socket, and TCP keepalive takes minutes to
   * notice; the probe's timeout does it in seconds. Default 30,000 ms.
   */
  readonly healthCheckIntervalMs?: number;
  /** Least time between two warnings about signals that could not be sent. Default 60,000 ms. */
  readonly failureLogIntervalMs?: number;
}

function resolvePostgresRunSignalsOptions(options: PostgresRunSignalsOptions) {
  return {
    connectionString: secretReader(options.connectionString),
    logger: options.logger,
    replicaId: options.replicaId ?? randomUUID(),
    reconnectDelayMs: options.reconnectDelayMs ?? 100,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? 5_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    healthCheckIntervalMs: options.healthCheckIntervalMs ?? 30_000,
    failureLogIntervalMs: options.failureLogIntervalMs ?? 60_000,
  };
}

type ResolvedOptions = ReturnType<typeof resolvePostgresRunSignalsOptions>;

const brand = createErrorBrand<RunCancelNotSentError>("RunCancelNotSentError");

/** A cancel could not be sent to the other replicas (PostgreSQL is unreachable); `cause` is the driver's error. */
export class RunCancelNotSentError extends Error {
  override readonly name = "RunCancelNotSentError";
  constructor(
    readonly runId: string,
    options: { readonly cause: unknown },
  ) {
    super(`the cancel of run ${runId} could not be sent to the other replicas`, options);
    brand.mark(this);
  }
}

/** True when `err` is a {@link RunCancelNotSentError}, from any copy of this package. */
export function isRunCancelNotSentError(err: unknown): err is RunCancelNotSentError {
  return brand.is(err);
}

/**
 * Creates the {@link RunSignals} of replicas that share one PostgreSQL
 * database, over LISTEN/NOTIFY. Listeners of this process hear every signal
 * at once, from the in-process half (`createLocalRunSignals`); the others
 * hear it through the database, and ignore their own echoes by replica id.
 *
 * Two connections: one dedicated to LISTEN, reconnected with backoff when it
 * breaks (then every stored listener is called, as signals may have been
 * missed), and a pool of one for NOTIFY, which replaces a broken connection
 * on the next send, sends in publish order, and closes when idle. The
 * listening connection is not used to send, so a send does not wait out its
 * backoff once the database is back.
 *
 * Resolves after the first attempt to listen, normally with LISTEN active.
 * If that attempt fails it logs a warning, resolves anyway and keeps trying
 * in the background, so the service starts while PostgreSQL is briefly down
 * (the store tolerates that too, and watchers poll meanwhile).
 *
 * `close()` stops reconnecting, sends the stored ids still gathered, and ends
 * both connections, waiting at most `connectTimeoutMs` however the database is.
 */
export async function createPostgresRunSignals(options: PostgresRunSignalsOptions): Promise<RunSignals> {
  const resolved = resolvePostgresRunSignalsOptions(options);
  const { logger, replicaId } = resolved;
  const local = createLocalRunSignals();
  const sendFailures = createSendFailureLog(logger, resolved.failureLogIntervalMs);
  const pool = new pg.Pool({
    // Each new connection reads the URL in force.
    Client: postgresClientClass(resolved.connectionString),
    max: 1,
    keepAlive: true,
    connectionTimeoutMillis: resolved.connectTimeoutMs,
    query_timeout: resolved.connectTimeoutMs,
    fallback_application_name: "agent-service run signals",
  });
  pool.on("error", (err) => logger.debug({ err }, "an idle PostgreSQL connection for sending run signals failed; the pool dropped it"));

  // Sends under way, which close() lets finish before it ends the pool (ending it fails their queued queries).
  const sending = new Set<Promise<unknown>>();

  /** Sends `payloads` on `channel` in one statement: one round trip however many chunks. */
  async function notify(channel: string, payloads: readonly string[]): Promise<void> {
    const sent = pool.query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload", [channel, payloads]);
    sending.add(sent);
    try {
      await sent;
    } catch (err) {
      sendFailures.failed(err);
      throw err;
    } finally {
      sending.delete(sent);
    }
    sendFailures.sent();
  }

  let closed = false;
  let pendingStored = new Set<string>();
  let scheduledFlush: NodeJS.Immediate | undefined;
  // One stored send at a time: ids published meanwhile gather, deduplicated,
  // for the next, so a slow or stalled database never collects a queue of sends.
  let storedInFlight: Promise<void> | undefined;

  const flushStored = () => {
    clearImmediate(scheduledFlush);
    scheduledFlush = undefined;
    if (storedInFlight !== undefined || pendingStored.size === 0) {
      return;
    }
    const runIds = pendingStored;
    pendingStored = new Set();
    storedInFlight = notify(runSignalChannels.stored, encodeStoredPayloads(replicaId, runIds))
      // A lost stored signal costs latency only: watchers poll. notify() logs the failure.
      .catch(() => undefined)
      .finally(() => {
        storedInFlight = undefined;
        flushStored();
      });
  };

  /** Resolves once every send under way, and the stored ids still gathered, are sent or failed. */
  async function drain(): Promise<void> {
    flushStored();
    while (storedInFlight !== undefined) {
      await storedInFlight;
    }
    await Promise.allSettled(sending);
  }

  const listener = startListening(resolved, {
    onNotification: (channel, payload) => {
      const signal = parseRunSignal(channel, payload);
      if (signal === undefined) {
        // Another program may use the channel; what we cannot read is not ours.
        logger.debug({ channel, bytes: Buffer.byteLength(payload ?? "") }, "ignored a notification that is not a run signal");
      } else if (signal.replica === replicaId) {
        // Our own echo: delivered locally when it was published.
      } else if (signal.kind === "stored") {
        local.deliverStored(signal.runIds);
      } else {
        local.deliverCancel(signal.runId);
      }
    },
    onListening: () => local.deliverStoredToAll(),
  });
  if (!(await listener.firstAttempt)) {
    logger.warn("cannot listen for run signals on PostgreSQL yet; retrying in the background, watchers poll meanwhile");
  }

  return {
    publishStored(runIds) {
      local.deliverStored(runIds);
      if (closed) {
        return;
      }
      for (const runId of runIds) {
        pendingStored.add(runId);
      }
      // Ids published within one turn of the event loop share their NOTIFYs.
      if (scheduledFlush === undefined && pendingStored.size > 0) {
        scheduledFlush = setImmediate(flushStored);
      }
    },
    onStored: (runId, onStored) => local.onStored(runId, onStored),
    async publishCancel(runId) {
      local.deliverCancel(runId);
      if (closed) {
        throw new RunCancelNotSentError(runId, { cause: new Error("the run signals are closed") });
      }
      try {
        await notify(runSignalChannels.cancel, [encodeCancelPayload(replicaId, runId)]);
      } catch (err) {
        throw new RunCancelNotSentError(runId, { cause: err });
      }
    },
    onCancel: (onCancel) => local.onCancel(onCancel),
    async close() {
      if (closed) {
        return;
      }
      closed = true;
      // Stored signals of the last moments still go out, so other replicas' watchers see the end of a run at once.
      const poolEnded = drain().then(() => pool.end());
      await Promise.all([listener.close(), settleWithin(poolEnded, resolved.connectTimeoutMs), local.close()]);
    },
  };
}

/** Callbacks of the listening connection. */
interface ListeningCallbacks {
  onNotification(channel: string, payload: string | undefined): void;
  /** LISTEN is active again: after the first connection, and after every reconnect. */
  onListening(): void;
}

/**
 * Keeps one connection LISTENing on both channels: reconnects with backoff
 * when it breaks ('error', 'end', or a failed health check), forever until
 * closed. `firstAttempt` resolves with whether the first connection listens.
 */
function startListening(resolved: ResolvedOptions, callbacks: ListeningCallbacks) {
  const { logger } = resolved;
  let client: pg.Client | undefined;
  let listening = false;
  let listenedBefore = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  let delayMs = resolved.reconnectDelayMs;
  // Failed connections and lost ones since LISTEN was last active.
  let failures = 0;

  /** `lost` is gone: forget it and try again later. Idempotent: a broken client emits both 'error' and 'end'. */
  const lose = (lost: pg.Client, cause: unknown) => {
    if (lost !== client) {
      return;
    }
    client = undefined;
    clearInterval(healthTimer);
    // Frees the socket if it is still open (a failed health check); its 'error' listener stays, so nothing goes unheard.
    lost.end().catch(() => undefined);
    if (closed) {
      return;
    }
    failures++;
    if (listening) {
      logger.warn({ err: cause }, "lost the PostgreSQL connection that listens for run signals; reconnecting");
    } else {
      logger.debug({ err: cause, failures, retryInMs: delayMs }, "cannot listen for run signals on PostgreSQL");
    }
    listening = false;
    retryTimer = setTimeout(() => void attempt(), delayMs);
    retryTimer.unref();
    delayMs = Math.min(delayMs * 2, resolved.maxReconnectDelayMs);
  };

  const attempt = async (): Promise<boolean> => {
    retryTimer = undefined;
    const candidate = new pg.Client({
      connectionString: resolved.connectionString(),
      keepAlive: true,
      connectionTimeoutMillis: resolved.connectTimeoutMs,
      query_timeout: resolved.connectTimeoutMs,
      fallback_application_name: "agent-service run signals",
    });
    client = candidate;
    // Unheard, an 'error' would end the process.
    candidate.on("error", (err) => lose(candidate, err));
    candidate.on("end", () => lose(candidate, new Error("the connection ended")));
    candidate.on("notification", (message) => callbacks.onNotification(message.channel, message.payload));
    try {
      await candidate.connect();
      await candidate.query(`LISTEN ${runSignalChannels.stored}; LISTEN ${runSignalChannels.cancel}`);
    } catch (err) {
      lose(candidate, err);
      return false;
    }
    if (candidate !== client) {
      // Closed while connecting.
      return false;
    }
    if (failures > 0) {
      logger.info({ failures }, listenedBefore ? "listening for run signals on PostgreSQL again" : "listening for run signals on PostgreSQL");
    }
    listening = true;
    listenedBefore = true;
    failures = 0;
    delayMs = resolved.reconnectDelayMs;
    healthTimer = startHealthCheck(candidate, resolved.healthCheckIntervalMs, (err) => lose(candidate, err));
    callbacks.onListening();
    return true;
  };

  return {
    firstAttempt: attempt(),
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(healthTimer);
      const current = client;
      client = undefined;
      if (current !== undefined && !(await settleWithin(current.end(), resolved.connectTimeoutMs))) {
        // A silent network never completes the goodbye: free the socket rather than wait for TCP keepalive.
        current.connection.stream.destroy();
      }
    },
  };
}

/** Probes `client` every `intervalMs`, one probe at a time; calls `onFailure` when one fails or times out. */
function startHealthCheck(client: pg.Client, intervalMs: number, onFailure: (err: unknown) => void): NodeJS.Timeout {
  let probing = false;
  const timer = setInterval(() => {
    if (probing) {
      return;
    }
    probing = true;
    client.query("SELECT 1").then(
      () => (probing = false),
      (err: unknown) => onFailure(err),
    );
  }, intervalMs);
  timer.unref();
  return timer;
}

/**
 * Logs failed sends: the first at once, continuing ones once per interval
 * with a count, and the first success after failures. A database that is down
 * would otherwise write a line per published batch.
 */
function createSendFailureLog(logger: Logger, intervalMs: number) {
  let unreported = 0;
  let failing = false;
  let lastReport = Number.NEGATIVE_INFINITY;
  return {
    failed(err: unknown) {
      failing = true;
      unreported++;
      if (performance.now() - lastReport < intervalMs) {
        return;
      }
      lastReport = performance.now();
      logger.warn({ err, failedSends: unreported }, "cannot send run signals to the other replicas; they are dropped, watchers poll");
      unreported = 0;
    },
    sent() {
      if (failing) {
        logger.info({ unreportedFailures: unreported }, "sending run signals to the other replicas works again");
      }
      failing = false;
      unreported = 0;
    },
  };
}

/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
const maxPayloadBytes = 7_999;

/**
 * Encodes `runIds` as few stored payloads as fit the NOTIFY limit. An id too
 * long for a payload of its own still gets one, which PostgreSQL refuses:
 * run ids are UUIDs, so that is a caller's bug, and it shows up in the log.
 */
function encodeStoredPayloads(replica: string, runIds: Iterable<string>): string[] {
  const head = `{"replica":${JSON.stringify(replica)},"runIds":[`;
  const tail = "]}";
  const emptyBytes = Buffer.byteLength(head) + Buffer.byteLength(tail);
  const payloads: string[] = [];
  let chunk: string[] = [];
  let bytes = emptyBytes;
  for (const runId of runIds) {
    const encoded = JSON.stringify(runId);
    const size = Buffer.byteLength(encoded) + 1; // and its comma
    if (chunk.length > 0 && bytes + size > maxPayloadBytes) {
      payloads.push(head + chunk.join(",") + tail);
      chunk = [];
      bytes = emptyBytes;
    }
    chunk.push(encoded);
    bytes += size;
  }
  if (chunk.length > 0) {
    payloads.push(head + chunk.join(",") + tail);
  }
  return payloads;
}

function encodeCancelPayload(replica: string, runId: string): string {
  return JSON.stringify({ replica, runId });
}

const storedPayloadSchema = z.object({ replica: z.string(), runIds: z.array(z.string()) });
const cancelPayloadSchema = z.object({ replica: z.string(), runId: z.string() });

type RunSignal =
  | { readonly kind: "stored"; readonly replica: string; readonly runIds: readonly string[] }
  | { readonly kind: "cancel"; readonly replica: string; readonly runId: string };

/** The signal in a notification, or undefined when it holds none (another program's, or malformed). */
function parseRunSignal(channel: string, payload: string | undefined): RunSignal | undefined {
  let json: unknown;
  try {
    json = JSON.parse(payload ?? "");
  } catch {
    return undefined;
  }
  if (channel === runSignalChannels.stored) {
    const parsed = storedPayloadSchema.safeParse(json);
    return parsed.success ? { kind: "stored", ...parsed.data } : undefined;
  }
  if (channel === runSignalChannels.cancel) {
    const parsed = cancelPayloadSchema.safeParse(json);
    return parsed.success ? { kind: "cancel", ...parsed.data } : undefined;
  }
  return undefined;
}

/** Waits for `promise` to settle, at most `ms`, and says whether it did: closing never hangs on a silent network. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}
