import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  createClient,
  type CallOptions as ConnectCallOptions,
  type Client,
  type Transport,
} from "@connectrpc/connect";
import {
  AgentService,
  ExecuteRequestSchema,
  StreamRequestSchema,
  type ExecuteResponse,
  type HealthResponse,
  type StreamResponse,
} from "../gen/agent/v1/agent_service_pb.js";
import { PromptService } from "../gen/agent/v1/prompt_service_pb.js";
import {
  RunService,
  type CancelRunResponse,
  type GetCallerResponse,
  type GetRunResponse,
  type GetThreadResponse,
  type ListRunsResponse,
  type SubmitFeedbackResponse,
} from "../gen/agent/v1/run_service_pb.js";
import { toAgentServiceError } from "./agent-error.js";
import { withBearerToken } from "./bearer-token.js";
import type { CallFailureContext } from "./call-failure.js";
import type {
  CallOptions,
  GetRunOptions,
  GetThreadOptions,
  HeaderValues,
  HealthOptions,
  ListRunsOptions,
  RunOptions,
  SharedClientOptions,
  StreamOptions,
  WatchRunOptions,
} from "./client-options.js";
import type { SubmitFeedbackOptions } from "./prompt-options.js";
import { createPromptsClient, type PromptsClient } from "./prompts-client.js";
import { randomId } from "./random-id.js";
import { restartSafeText } from "./restart-safe-text.js";
import { resumableEvents } from "./resumable-events.js";
import { checkRetries, createRetrySchedule, defaultRetries, type AttemptOptions, type RetrySchedule } from "./retry-schedule.js";

/**
 * A typed client of the agent service. Errors are `AgentServiceError`s.
 * A call whose attempt fails in a retryable way (a broken connection,
 * UNAVAILABLE, RESOURCE_EXHAUSTED with a retry-after) is tried again, as
 * `retries` allows; runs carry an idempotency key, so a repeat never runs a
 * task twice, and streams resume where they broke. The one call a repeat
 * could harm, `prompts.startExperiment`, is repeated only when it never
 * reached the service.
 */
export interface AgentClient {
  /** Runs the agent and returns the summary of the run. */
  execute(input: string, options?: RunOptions): Promise<ExecuteResponse>;
  /**
   * Runs the agent and yields its events as they happen; the last is
   * `runCompleted`. A stream whose connection breaks continues where it
   * broke (through WatchRun once the run is known, else by repeating the
   * call with its idempotency key): every event arrives once, in order.
   * Aborting the call's `signal` once the run started also cancels the run
   * (CancelRun), wherever it runs.
   */
  stream(input: string, options?: StreamOptions): AsyncIterable<StreamResponse>;
  /**
   * A run's events after `afterSeq`: the recorded ones, then the live ones
   * until its last event. Ends after `runCompleted`; a run that failed or was
   * canceled throws the error its caller got. Resumes a broken connection
   * from the last event it yielded. NOT_FOUND for an unknown run.
   */
  watchRun(runId: string, options?: WatchRunOptions): AsyncIterable<StreamResponse>;
  /**
   * Stops a run wherever it runs, and answers once it has ended, with its
   * record: canceled, or what it had ended as before. Its stream ends with
   * CANCELED. NOT_FOUND for an unknown run.
   */
  cancelRun(runId: string, options?: CallOptions): Promise<CancelRunResponse>;
  /** The service's health and its models. */
  health(options?: HealthOptions): Promise<HealthResponse>;
  /** One recorded run, with its steps and, when asked, its events. NOT_FOUND when there is none. */
  getRun(runId: string, options?: GetRunOptions): Promise<GetRunResponse>;
  /**
   * A page of recorded runs, newest first, filtered by principal (admins),
   * status, start time, prompt or prompt version, model and text in the
   * input; pass `nextPageToken` back as `pageToken` for the next.
   */
  listRuns(options?: ListRunsOptions): Promise<ListRunsResponse>;
  /** Who the client's credentials authenticate as, and its roles ("caller", "admin"). */
  getCaller(options?: CallOptions): Promise<GetCallerResponse>;
  /**
   * A page of one conversation's runs (`threadId` of `execute` and `stream`),
   * oldest first; pass `nextPageToken` back as `pageToken` for the next.
   * NOT_FOUND when the caller has no such thread.
   */
  getThread(threadId: string, options?: GetThreadOptions): Promise<GetThreadResponse>;
  /**
   * Scores a run of the caller's own (an admin may score any run) for its
   * prompt experiment's results; `score` from -1,000,000 to 1,000,000, on
   * the caller's scale. Retried: a second score of a run replaces the first
   * (so a repeat after a lost answer reports `first: false`).
   */
  submitFeedback(runId: string, score: number, options?: SubmitFeedbackOptions): Promise<SubmitFeedbackResponse>;
  /** The service's prompts: versions, activation and rollback, experiments (`agent.v1.PromptService`). */
  readonly prompts: PromptsClient;
  /** Closes the client's HTTP/2 connection, if it opened one; calls in flight fail and are not retried. */
  close(): void;
}

/** How long the CancelRun that follows a caller's abort may take. */
const cancelTimeoutMs = 5_000;

/** The transport a client calls through, and how to close what it holds open. */
export interface ClientConnection {
  readonly transport: Transport;
  /** Closes what the transport holds open, such as its HTTP/2 session; called by `AgentClient.close`. Default nothing to close. */
  readonly close?: () => void;
}

/**
 * Creates a client of the agent service over a connection that the entry
 * point built for its runtime (Node.js or the browser), with the options
 * every runtime shares: token, headers, deadline and retries.
 */
export function createAgentClientOn(connection: ClientConnection, options: SharedClientOptions): AgentClient {
  const transport = options.token === undefined ? connection.transport : withBearerToken(connection.transport, options.token);
  const agents: Client<typeof AgentService> = createClient(AgentService, transport);
  const runs: Client<typeof RunService> = createClient(RunService, transport);
  const promptService: Client<typeof PromptService> = createClient(PromptService, transport);
  const clientRetries = checkRetries(options.retries ?? defaultRetries, "createAgentClient");
  let closed = false;

  const scheduleOf = (call: CallOptions | undefined): RetrySchedule =>
    createRetrySchedule({
      retries: call?.retries === undefined ? clientRetries : checkRetries(call.retries, "AgentClient"),
      timeoutMs: call?.timeoutMs ?? options.timeoutMs,
      signal: call?.signal,
      closed: () => closed,
    });
  // A new Headers per attempt: interceptors (tracing) set headers on the one they get.
  const attemptOptions = (call: CallOptions | undefined, attempt: AttemptOptions): ConnectCallOptions => ({
    ...attempt,
    headers: mergeHeaders(options.headers, call?.headers),
  });

  /** One unary call, tried again as its schedule (and `atMostOnce`, for a call that must not be repeated once sent) allows. */
  async function unary<T>(
    call: CallOptions | undefined,
    send: (options: ConnectCallOptions) => Promise<T>,
    { atMostOnce = false }: Pick<CallFailureContext, "atMostOnce"> = {},
  ): Promise<T> {
    const schedule = scheduleOf(call);
    for (;;) {
      try {
        return await send(attemptOptions(call, schedule.attempt()));
      } catch (err) {
        await schedule.retry(err, { followingRun: false, atMostOnce });
      }
    }
  }

  /** One WatchRun attempt, as the run's events. */
  async function* watchAttempt(runId: string, afterSeq: number, call: ConnectCallOptions): AsyncGenerator<StreamResponse> {
    for await (const res of runs.watchRun({ runId, afterSeq }, call)) {
      if (res.event === undefined) {
        throw new ConnectError(`WatchRun of run ${runId} sent a response without its event`, Code.Internal);
      }
      yield res.event;
    }
  }

  return {
    async execute(input, run) {
      const idempotencyKey = run?.idempotencyKey ?? randomId();
      const request = create(ExecuteRequestSchema, { ...runFields(input, run), idempotencyKey });
      // Without a key a repeat could run the task twice: one attempt only.
      const call = idempotencyKey === "" ? { ...run, retries: 0 } : run;
      return unary(call, (attempt) => agents.execute(request, attempt));
    },

    async *stream(input, run) {
      const idempotencyKey = run?.idempotencyKey ?? randomId();
      const request = create(StreamRequestSchema, { ...runFields(input, run), idempotencyKey });
      let started: string | undefined;
      let completed = false;
      try {
        const events = resumableEvents({
          open: ({ runId, lastSeq }, attempt) =>
            runId === undefined
              ? agents.stream(request, attemptOptions(run, attempt))
              : watchAttempt(runId, lastSeq, attemptOptions(run, attempt)),
          schedule: scheduleOf(run),
          start: { runId: undefined, lastSeq: 0 },
          canRepeatStart: idempotencyKey !== "",
          onEvent: (event) => {
            if (event.event.case === "runStarted") started = event.event.value.runId;
            completed ||= event.event.case === "runCompleted";
          },
        });
        yield* run?.textDeltas === "live" ? events : restartSafeText(events);
      } catch (err) {
        throw toAgentServiceError(err);
      } finally {
        if (run?.signal?.aborted === true && started !== undefined && !completed && !closed) {
          // The caller canceled: stop the run even where the service keeps a
          // keyed run going for a resume after its connection broke.
          runs.cancelRun({ runId: started }, { timeoutMs: cancelTimeoutMs, headers: mergeHeaders(options.headers, run.headers) }).catch(() => undefined);
        }
      }
    },

    async *watchRun(runId, call) {
      try {
        const events = resumableEvents({
          open: (position, attempt) => watchAttempt(runId, position.lastSeq, attemptOptions(call, attempt)),
          schedule: scheduleOf(call),
          start: { runId, lastSeq: call?.afterSeq ?? 0 },
          canRepeatStart: true,
        });
        yield* call?.textDeltas === "live" ? events : restartSafeText(events);
      } catch (err) {
        throw toAgentServiceError(err);
      }
    },

    cancelRun(runId, call) {
      // Canceling twice is canceling once: safe to repeat.
      return unary(call, (attempt) => runs.cancelRun({ runId }, attempt));
    },

    health(call) {
      return unary(call, (attempt) => agents.health({}, attempt));
    },

    getRun(runId, call) {
      const request = { runId, includeEvents: call?.includeEvents ?? false, eventsAfterSeq: call?.eventsAfterSeq ?? 0 };
      return unary(call, (attempt) => runs.getRun(request, attempt));
    },

    listRuns(call) {
      const { principal, status, startedAfter, startedBefore, prompt, promptVersion, model, inputContains, pageSize, pageToken } = call ?? {};
      const request = { principal, status, startedAfter, startedBefore, prompt, promptVersion, model, inputContains, pageSize, pageToken };
      return unary(call, (attempt) => runs.listRuns(request, attempt));
    },

    getCaller(call) {
      return unary(call, (attempt) => runs.getCaller({}, attempt));
    },

    getThread(threadId, call) {
      const request = { threadId, pageSize: call?.pageSize ?? 0, pageToken: call?.pageToken ?? "" };
      return unary(call, (attempt) => runs.getThread(request, attempt));
    },

    submitFeedback(runId, score, call) {
      // A repeat replaces the score with the same one: safe to repeat.
      return unary(call, (attempt) => runs.submitFeedback({ runId, score, comment: call?.comment ?? "" }, attempt));
    },

    prompts: createPromptsClient(promptService, unary),

    close() {
      closed = true;
      connection.close?.();
    },
  };
}

/** The request fields of a run that its options set. */
function runFields(input: string, run: RunOptions | undefined) {
  return {
    input,
    maxIterations: run?.maxIterations ?? 0,
    maxExecutionTime: run?.maxExecutionTimeMs === undefined ? undefined : durationFromMs(run.maxExecutionTimeMs),
    bypassCache: run?.bypassCache ?? false,
    threadId: run?.threadId ?? "",
    maxCostUsd: run?.maxCostUsd ?? 0,
    prompt: run?.prompt ?? "",
    promptVersion: run?.promptVersion ?? "",
    variables: { ...run?.variables },
  };
}

function mergeHeaders(base: HeaderValues | undefined, extra: HeaderValues | undefined): Headers {
  const headers = new Headers(base);
  new Headers(extra).forEach((value, key) => headers.set(key, value));
  return headers;
}
