import { Redis, ReplyError } from "ioredis";
import type { Logger } from "pino";
import { followRedisCredentials } from "../../redis-credentials.js";
import { secretReader, type SecretSource } from "../../secret-source.js";
import { redactRedisUrl } from "./redis-url.js";
import type { CacheEvent, RedisTierState } from "./response-cache-options.js";

/** How to reach Redis and how long to wait for it. */
export interface RedisTierOptions {
  /** A function is read at each reconnection, for its credentials only (see `followRedisCredentials`). */
  readonly url: SecretSource;
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly onEvent: (event: CacheEvent) => void;
}

/** An entry read from Redis with the time it has left there. */
export interface RedisEntry {
  readonly entry: string;
  /** Remaining time to live, or undefined when Redis keeps it without expiry. */
  readonly ttlMs: number | undefined;
}

/**
 * The Redis tier (L2). None of its methods reject: when Redis is down, slow
 * or answers with an error, a read is a miss and a write is dropped, the
 * failure is reported as an `l2-error` event, and only a change between
 * `ready` and `degraded` is logged and reported as an `l2-state` event.
 */
export interface RedisTier {
  get(key: string): Promise<RedisEntry | undefined>;
  set(key: string, entry: string, ttlMs: number): Promise<void>;
  /** Deletes `key` if it still holds `entry`; best effort, never awaited by callers. */
  deleteIfUnchanged(key: string, entry: string): void;
  /** `degraded` until the first connection is ready. */
  readonly state: RedisTierState;
  close(): Promise<void>;
}

/** A Redis command took longer than the tier's timeout; Redis is treated as unavailable for that call. */
export class RedisTimeoutError extends Error {
  override readonly name = "RedisTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`redis did not answer within ${timeoutMs} ms`);
  }
}

/** True when `err` is a {@link RedisTimeoutError}. */
export function isRedisTimeoutError(err: unknown): err is RedisTimeoutError {
  return err instanceof RedisTimeoutError;
}

/** Longest wait for a TCP connection to Redis before ioredis gives up on it and retries. */
const connectTimeoutMs = 2_000;
/** Reconnect backoff: doubles from 100 ms up to this cap, forever, so the tier recovers on its own. */
const maxReconnectDelayMs = 2_000;

/** Deletes the key only if it still holds the value we judged unusable, so a fresh write by another replica survives. */
const deleteIfUnchangedScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

/** Connects to Redis at `options.url` and returns the tier over that client. */
export function createRedisTier(options: RedisTierOptions): RedisTier {
  const { keyPrefix, timeoutMs, logger, onEvent } = options;
  const url = secretReader(options.url);
  const redis = redactRedisUrl(url());
  const client = new Redis(url(), {
    lazyConnect: false,
    // Fail at once while disconnected instead of queueing behind a dead connection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    retryStrategy: (attempt) => Math.min(100 * 2 ** (attempt - 1), maxReconnectDelayMs),
  });
  followRedisCredentials(client, url);

  // "connecting" is reported as degraded: Redis is not serving yet, but nothing
  // has gone wrong, so reaching "ready" first is not logged as a recovery.
  let health: RedisTierState | "connecting" = "connecting";
  // Commands we gave up waiting for, or sent as probes while degraded, that
  // Redis has not answered yet. While degraded and any is outstanding, calls
  // skip Redis, so a stalled server never collects a queue of commands.
  let outstanding = 0;
  // Bumped on every new connection: replies owed by an older one no longer count.
  let connection = 0;
  let closed = false;

  function markReady(): void {
    if (closed || health === "ready") {
      return;
    }
    const recovering = health === "degraded";
    health = "ready";
    logger.info({ redis }, recovering ? "response cache: redis available again" : "response cache: redis connected");
    onEvent({ type: "l2-state", state: "ready" });
  }

  function markDegraded(cause: unknown): void {
    if (closed || health === "degraded") {
      return;
    }
    health = "degraded";
    logger.warn({ redis, reason: describeFailure(cause) }, "response cache: redis unavailable, serving from memory only");
    onEvent({ type: "l2-state", state: "degraded" });
  }

  client.on("ready", () => {
    connection++;
    outstanding = 0;
    markReady();
  });
  // Without an error listener ioredis prints every failed reconnect to stderr.
  client.on("error", (err: unknown) => markDegraded(err));
  client.on("close", () => markDegraded("connection closed"));
  client.on("end", () => markDegraded("connection ended"));

  function usable(): boolean {
    return !closed && client.status === "ready" && (health === "ready" || outstanding === 0);
  }

  /**
   * Sends one command and waits for its reply at most `timeoutMs`. Any reply
   * in time, even an error reply, shows Redis is serving; silence or a broken
   * connection shows it is not.
   */
  async function send<R>(command: () => Promise<R>): Promise<R> {
    const pending = start(command);
    const sentOn = connection;
    // A command sent while degraded is a probe: it counts as outstanding
    // until Redis answers, as does any command we stopped waiting for.
    let counted = health !== "ready";
    if (counted) {
      outstanding++;
    }
    let gaveUp = false;
    const answered = () => {
      if (!counted || sentOn !== connection) {
        return;
      }
      outstanding--;
      // Redis answered something we had given up on: ask again at once, so
      // the tier notices a recovery even when no caller comes to try.
      if (gaveUp && outstanding === 0 && health === "degraded" && usable()) {
        send(() => client.ping()).catch(() => undefined);
      }
    };
    pending.then(answered, answered);
    try {
      const reply = await withTimeout(pending, timeoutMs);
      markReady();
      return reply;
    } catch (err) {
      if (err instanceof RedisTimeoutError) {
        gaveUp = true;
        if (!counted && sentOn === connection) {
          counted = true;
          outstanding++;
        }
        markDegraded(err);
      } else if (err instanceof ReplyError) {
        markReady();
      } else {
        markDegraded(err);
      }
      throw err;
    }
  }

  /** Runs a caller's command if Redis is usable; a failure is reported and becomes `undefined`. */
  async function run<R>(operation: "get" | "set", command: () => Promise<R>): Promise<R | undefined> {
    if (!usable()) {
      return undefined;
    }
    try {
      return await send(command);
    } catch (err) {
      onEvent({ type: "l2-error", operation, error: err });
      return undefined;
    }
  }

  return {
    async get(key) {
      const fullKey = keyPrefix + key;
      return run("get", async () => {
        // One round trip for the value and its remaining lifetime, so a copy
        // kept in memory expires when the Redis entry does.
        const [getReply, ttlReply] = (await client.pipeline().get(fullKey).pttl(fullKey).exec()) ?? [];
        const [getError, entry] = getReply ?? [new Error("redis sent no reply to GET"), null];
        if (getError !== null) {
          throw getError;
        }
        if (typeof entry !== "string") {
          return undefined;
        }
        const ttl = ttlReply?.[1];
        return { entry, ttlMs: typeof ttl === "number" && ttl > 0 ? ttl : undefined };
      });
    },
    async set(key, entry, ttlMs) {
      await run("set", () => client.set(keyPrefix + key, entry, "PX", ttlMs));
    },
    deleteIfUnchanged(key, entry) {
      if (health !== "ready" || !usable()) {
        return;
      }
      send(() => client.eval(deleteIfUnchangedScript, 1, keyPrefix + key, entry)).catch(() => {
        // Best effort: the entry expires on its own, and readers treat it as a miss meanwhile.
      });
    },
    get state() {
      return health === "ready" ? "ready" : "degraded";
    },
    async close() {
      closed = true;
      if (client.status === "ready") {
        // QUIT lets commands already sent finish, within the usual bound.
        await withTimeout(client.quit(), timeoutMs).catch(() => undefined);
      }
      client.disconnect();
    },
  };
}

function start<R>(command: () => Promise<R>): Promise<R> {
  try {
    return command();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Settles like `promise`, or rejects with {@link RedisTimeoutError} after `timeoutMs`; the timer never outlives it. */
function withTimeout<R>(promise: Promise<R>, timeoutMs: number): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisTimeoutError(timeoutMs)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * A short reason for the log. Only name and message: ioredis errors carry the
 * command's arguments, which would put cached values in the log.
 */
function describeFailure(cause: unknown): string {
  if (cause instanceof Error) {
    return `${cause.name}: ${cause.message}`;
  }
  return String(cause);
}
