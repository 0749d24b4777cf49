import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import {
  AgentService,
  ExecuteRequestSchema,
  StreamRequestSchema,
  type ExecuteResponse,
  type HealthResponse,
  type StreamResponse,
} from "../gen/agent/v1/agent_service_pb.js";
import {
  RunService,
  type GetRunResponse,
  type ListRunsRequest,
  type ListRunsResponse,
} from "../gen/agent/v1/run_service_pb.js";
import { toAgentServiceError } from "./agent-error.js";
import { restartSafeText } from "./restart-safe-text.js";
import { createClientTraceInterceptor } from "./trace-interceptor.js";

/** Header values in any form `new Headers()` accepts. */
export type HeaderValues = ConstructorParameters<typeof Headers>[0];

/** Wire protocols the service speaks on one port. */
export type AgentProtocol = "connect" | "grpc" | "grpc-web";

/** Options for {@link createAgentClient}. */
export interface AgentClientOptions {
  /** Base URL of the service, such as `http://127.0.0.1:8080`. Required unless `transport` is given. */
  readonly baseUrl?: string;
  /** Wire protocol. Default `connect`. */
  readonly protocol?: AgentProtocol;
  /** HTTP version; gRPC always uses 2. Default `2`. */
  readonly httpVersion?: "1.1" | "2";
  /** Headers sent with every call, such as `authorization`. Default none. */
  readonly headers?: HeaderValues;
  /** Deadline of every call in milliseconds, unless a call sets its own. Default none. */
  readonly timeoutMs?: number;
  /** Extra interceptors, outermost first. Default none. */
  readonly interceptors?: readonly Interceptor[];
  /**
   * Start a client span per call and send W3C `traceparent`, with the
   * application's OpenTelemetry setup. Default true; a no-op without one.
   */
  readonly tracing?: boolean;
  /** A ready transport; replaces `baseUrl`, `protocol` and `httpVersion`. */
  readonly transport?: Transport;
}

/** Options of one run. */
export interface RunOptions {
  /** Deadline of this call in milliseconds; the server stops the run when it passes. */
  readonly timeoutMs?: number;
  /** Aborting it cancels the call, and the server stops the run at once. */
  readonly signal?: AbortSignal;
  /** Headers for this call, added to the client's. */
  readonly headers?: HeaderValues;
  /** Upper bound on model turns; at most the server's cap. Default the server's. */
  readonly maxIterations?: number;
  /** Upper bound on the run's time in milliseconds; at most the server's cap. Default the server's. */
  readonly maxExecutionTimeMs?: number;
  /** Skip the service's response cache for this run. Default false. */
  readonly bypassCache?: boolean;
}

/** Options of {@link AgentClient.stream}. */
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

/** Options of a health call. */
export type HealthOptions = Pick<RunOptions, "timeoutMs" | "signal" | "headers">;

/** Options of {@link AgentClient.getRun}. */
export interface GetRunOptions extends HealthOptions {
  /** Also return the run's events (up to 1,000 per call). Default false. */
  readonly includeEvents?: boolean;
  /** Only events after this seq: for the next page of a long run's events. Default 0. */
  readonly eventsAfterSeq?: number;
}

/** Filters and paging of {@link AgentClient.listRuns}; every filter optional. */
export type ListRunsOptions = HealthOptions & Partial<Pick<ListRunsRequest, "principal" | "status" | "startedAfter" | "startedBefore" | "pageSize" | "pageToken">>;

/** A typed client of the agent service. Errors are {@link AgentServiceError}s. */
export interface AgentClient {
  /** Runs the agent and returns the summary of the run. */
  execute(input: string, options?: RunOptions): Promise<ExecuteResponse>;
  /** Runs the agent and yields its events as they happen; the last is `runCompleted`. */
  stream(input: string, options?: StreamOptions): AsyncIterable<StreamResponse>;
  /** The service's health and its models. */
  health(options?: HealthOptions): Promise<HealthResponse>;
  /** One recorded run, with its steps and, when asked, its events. NOT_FOUND when there is none. */
  getRun(runId: string, options?: GetRunOptions): Promise<GetRunResponse>;
  /** A page of recorded runs, newest first; pass `nextPageToken` back as `pageToken` for the next. */
  listRuns(options?: ListRunsOptions): Promise<ListRunsResponse>;
  /** Closes the client's HTTP/2 connection, if it opened one. */
  close(): void;
}

/** Creates a client of the agent service over Connect, gRPC or gRPC-Web. */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  const { transport, sessionManager } = resolveTransport(options);
  const client: Client<typeof AgentService> = createClient(AgentService, transport);
  const runs: Client<typeof RunService> = createClient(RunService, transport);
  const callOptions = (run: RunOptions | undefined) => ({
    timeoutMs: run?.timeoutMs ?? options.timeoutMs,
    signal: run?.signal,
    headers: mergeHeaders(options.headers, run?.headers),
  });
  const runFields = (input: string, run: RunOptions | undefined) => ({
    input,
    maxIterations: run?.maxIterations ?? 0,
    maxExecutionTime: run?.maxExecutionTimeMs === undefined ? undefined : durationFromMs(run.maxExecutionTimeMs),
    bypassCache: run?.bypassCache ?? false,
  });

  return {
    async execute(input, run) {
      try {
        return await client.execute(create(ExecuteRequestSchema, runFields(input, run)), callOptions(run));
      } catch (err) {
        throw toAgentServiceError(err);
      }
    },
    async *stream(input, run) {
      try {
        const events = client.stream(create(StreamRequestSchema, runFields(input, run)), callOptions(run));
        yield* run?.textDeltas === "live" ? events : restartSafeText(events);
      } catch (err) {
        throw toAgentServiceError(err);
      }
    },
    async health(call) {
      try {
        return await client.health({}, callOptions(call));
      } catch (err) {
        throw toAgentServiceError(err);
      }
    },
    async getRun(runId, call) {
      try {
        return await runs.getRun(
          { runId, includeEvents: call?.includeEvents ?? false, eventsAfterSeq: call?.eventsAfterSeq ?? 0 },
          callOptions(call),
        );
      } catch (err) {
        throw toAgentServiceError(err);
      }
    },
    async listRuns(call) {
      try {
        const { principal, status, startedAfter, startedBefore, pageSize, pageToken } = call ?? {};
        return await runs.listRuns({ principal, status, startedAfter, startedBefore, pageSize, pageToken }, callOptions(call));
      } catch (err) {
        throw toAgentServiceError(err);
      }
    },
    close() {
      sessionManager?.abort();
    },
  };
}

function resolveTransport(options: AgentClientOptions): { transport: Transport; sessionManager?: Http2SessionManager } {
  if (options.transport !== undefined) {
    // A ready transport has its own interceptors; tracing goes there too.
    return { transport: options.transport };
  }
  if (options.baseUrl === undefined) {
    throw new Error("createAgentClient: set baseUrl (such as http://127.0.0.1:8080) or transport");
  }
  const protocol = options.protocol ?? "connect";
  const interceptors = [
    ...(options.tracing === false ? [] : [createClientTraceInterceptor(protocol)]),
    ...(options.interceptors ?? []),
  ];
  const httpVersion = protocol === "grpc" ? "2" : (options.httpVersion ?? "2");
  if (httpVersion === "1.1") {
    const common = { baseUrl: options.baseUrl, httpVersion, interceptors } as const;
    return { transport: protocol === "grpc-web" ? createGrpcWebTransport(common) : createConnectTransport(common) };
  }
  const sessionManager = new Http2SessionManager(options.baseUrl);
  const common = { baseUrl: options.baseUrl, httpVersion, interceptors, sessionManager } as const;
  const transport =
    protocol === "grpc"
      ? createGrpcTransport(common)
      : protocol === "grpc-web"
        ? createGrpcWebTransport(common)
        : createConnectTransport(common);
  return { transport, sessionManager };
}

function mergeHeaders(base: HeaderValues | undefined, extra: HeaderValues | undefined): Headers {
  const headers = new Headers(base);
  new Headers(extra).forEach((value, key) => headers.set(key, value));
  return headers;
}
