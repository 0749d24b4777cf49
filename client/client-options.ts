import type { Interceptor, Transport } from "@connectrpc/connect";
import type { GetThreadRequest, ListRunsRequest } from "../gen/agent/v1/run_service_pb.js";

/** Header values in any form `new Headers()` accepts. */
export type HeaderValues = ConstructorParameters<typeof Headers>[0];

/** Wire protocols the service speaks on one port. */
export type AgentProtocol = "connect" | "grpc" | "grpc-web";

/** Options that `createAgentClient` takes in every runtime (Node.js and browsers). */
export interface SharedClientOptions {
  /** Base URL of the service, such as `http://127.0.0.1:8080`. Required unless `transport` is given. */
  readonly baseUrl?: string;
  /** Headers sent with every call. Default none. */
  readonly headers?: HeaderValues;
  /**
   * The credential sent as `Authorization: Bearer <token>` on every attempt:
   * an API key, or a JWT. A function is asked again for each attempt, so a
   * token it refreshes is used by the retries too. Default none (a service
   * without authentication, on loopback).
   */
  readonly token?: string | (() => string | Promise<string>);
  /** Deadline of every call in milliseconds, retries included, unless a call sets its own. Default none. */
  readonly timeoutMs?: number;
  /**
   * Failed attempts in a row that a call tries again, when the failure is
   * retryable (see `CallOptions.retries`), unless a call sets its own.
   * Default 2.
   */
  readonly retries?: number;
  /** Extra interceptors, outermost first; they see every attempt. Default none. */
  readonly interceptors?: readonly Interceptor[];
  /** A ready transport; replaces `baseUrl` and `protocol` (and, in Node.js, `httpVersion`). */
  readonly transport?: Transport;
}

/** Options for `createAgentClient` in Node.js. */
export interface AgentClientOptions extends SharedClientOptions {
  /** Wire protocol. Default `connect`. */
  readonly protocol?: AgentProtocol;
  /** HTTP version; gRPC always uses 2. Default `2`. */
  readonly httpVersion?: "1.1" | "2";
  /**
   * Start a client span per call and send W3C `traceparent`, with the
   * application's OpenTelemetry setup (`@opentelemetry/api`, an optional
   * peer dependency). Default true; a no-op without one.
   */
  readonly tracing?: boolean;
}

/** Options of every call. */
export interface CallOptions {
  /**
   * Deadline of this call in milliseconds, every retry and backoff included;
   * the server stops the run when it passes. Default the client's.
   */
  readonly timeoutMs?: number;
  /** Aborting it cancels the call, and the server stops the run at once; nothing is retried after. */
  readonly signal?: AbortSignal;
  /** Headers for this call, added to the client's. */
  readonly headers?: HeaderValues;
  /**
   * Failed attempts in a row this call tries again, after a backoff that
   * doubles from about 100 ms, with jitter, and is at least the service's
   * retry-after; never past the deadline or the abort. Retried: a broken
   * connection, UNAVAILABLE, and RESOURCE_EXHAUSTED with a retry-after. A
   * stream's count starts again whenever an event arrives. Default the
   * client's.
   */
  readonly retries?: number;
}

/** Options of one run. */
export interface RunOptions extends CallOptions {
  /** Upper bound on model turns; at most the server's cap. Default the server's. */
  readonly maxIterations?: number;
  /** Upper bound on the run's time in milliseconds; at most the server's cap. Default the server's. */
  readonly maxExecutionTimeMs?: number;
  /** Skip the service's response cache for this run. Default false. */
  readonly bypassCache?: boolean;
  /**
   * The run's model cost budget in US dollars; at most the server's. A run
   * that reaches it stops with `StopReason.COST_LIMIT`. Default the server's.
   */
  readonly maxCostUsd?: number;
  /**
   * Makes the call safe to repeat: the service runs a key's request once and
   * answers a repeat with that run's result (or follows it while it runs).
   * Pass your own to repeat a call across processes; the same key with
   * another request is refused (INVALID_ARGUMENT, reason
   * `IDEMPOTENCY_KEY_REUSED`). Up to 128 printable ASCII characters. `""`
   * sends none: the call is then never repeated before its run started.
   * Default a new random UUID per call, which its own retries reuse.
   */
  readonly idempotencyKey?: string;
  /**
   * The conversation this run continues: it starts from the thread's earlier
   * turns. Choose a new id (such as a UUID) to start one. Default none.
   */
  readonly threadId?: string;
  /** The prompt to run, by name (see PromptService). Default the service's default prompt. */
  readonly prompt?: string;
  /** A version of the prompt to run instead of its active one. Default the active one. */
  readonly promptVersion?: string;
  /** Values of the prompt's variables: each it declares, and no other. Default none. */
  readonly variables?: Readonly<Record<string, string>>;
}

/** Options of `AgentClient.stream`. */
export interface StreamOptions extends RunOptions {
  /**
   * `"buffered"` (default): a turn's text deltas are held until the turn
   * finishes and dropped if the server restarts it on a fallback model, so
   * printing every `textDelta` never shows a torn or duplicated answer.
   * `"live"`: deltas arrive as the model produces them; on `stepRestarted`
   * the consumer must discard the text of that iteration itself.
   */
  readonly textDeltas?: "buffered" | "live";
}

/** Options of a health call (and of every call that takes nothing else). */
export type HealthOptions = CallOptions;

/** Options of `AgentClient.getRun`. */
export interface GetRunOptions extends CallOptions {
  /** Also return the run's events (up to 1,000 per call). Default false. */
  readonly includeEvents?: boolean;
  /** Only events after this seq: for the next page of a long run's events. Default 0. */
  readonly eventsAfterSeq?: number;
}

/** Filters and paging of `AgentClient.listRuns`; every filter optional. */
export type ListRunsOptions = CallOptions &
  Partial<
    Pick<
      ListRunsRequest,
      "principal" | "status" | "startedAfter" | "startedBefore" | "prompt" | "promptVersion" | "model" | "inputContains" | "pageSize" | "pageToken"
    >
  >;

/** Options of `AgentClient.watchRun`. */
export interface WatchRunOptions extends CallOptions {
  /** Only events after this seq, such as the last one a broken stream delivered. Default 0: from the first. */
  readonly afterSeq?: number;
  /** As in `StreamOptions.textDeltas`. Default `"buffered"`. */
  readonly textDeltas?: "buffered" | "live";
}

/** Paging of `AgentClient.getThread`. */
export type GetThreadOptions = CallOptions & Partial<Pick<GetThreadRequest, "pageSize" | "pageToken">>;

/** Wire protocols a browser can speak: fetch exposes no HTTP trailers, which gRPC needs. */
export type WebProtocol = Exclude<AgentProtocol, "grpc">;

/** Options for `createAgentClient` in a browser (the SDK's browser entry). */
export interface WebAgentClientOptions extends SharedClientOptions {
  /** Wire protocol, over `fetch`. Default `connect` (JSON). */
  readonly protocol?: WebProtocol;
  /**
   * The `fetch` the transport calls, such as one that sets `credentials` or
   * `mode`. Default `globalThis.fetch`.
   */
  readonly fetch?: typeof globalThis.fetch;
}
