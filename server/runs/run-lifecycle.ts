import { toBinary } from "@bufbuild/protobuf";
import { sizeDelimitedEncode } from "@bufbuild/protobuf/wire";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { BaseMessage } from "@langchain/core/messages";
import { createHash, randomUUID } from "node:crypto";
import { context, ROOT_CONTEXT, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import { ExecuteResponseSchema, StreamResponseSchema, type ExecuteResponse, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { StopReason } from "../../gen/agent/v1/run_pb.js";
import type { AgentExecutor } from "../agent/agent-executor.js";
import type { TurnMeter } from "../agent/turn-meter.js";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import type { PromptVersion } from "../prompts/prompt-version.js";
import type { PromptChoice } from "../prompts/prompt-catalog.js";
import type { IdempotencyOutcome, RunRow, RunStore } from "../store/index.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";
import type { RunStopReason } from "../telemetry/service-metric-events.js";
import { inSpan } from "../telemetry/span-scope.js";
import { traceIdOf } from "../telemetry/trace-id.js";
import { toConnectError } from "./error-mapping.js";
import type { LiveRuns } from "./live-runs.js";
import { resolveRunLimits, type RequestLimits, type RunFields } from "./request-rules.js";
import type { RunAdmission } from "./run-admission.js";
import { redactedEvents, type OutputRedaction } from "./redacted-events.js";
import { createRunAuditTrail, type AuditAppender } from "./run-audit.js";
import type { RunLimiter } from "./run-limiter.js";
import type { RunRecorder } from "./run-recorder.js";
import type { RunWatcher } from "./run-watch.js";

/** Dependencies of {@link createRunLifecycle}. */
export interface RunLifecycleOptions {
  readonly executor: AgentExecutor;
  /** Defaults and caps for caller-supplied limits. */
  readonly limits: RequestLimits;
  /** Bounds concurrent runs; a run waits here for a slot before it starts. */
  readonly limiter: RunLimiter;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  /** Where runs and their events are recorded, behind the run. */
  readonly recorder: RunRecorder;
  /** Where idempotency keys are claimed, before the run (not behind it). */
  readonly store: Pick<RunStore, "claimIdempotencyKey">;
  /** Runs in progress on this replica, for watchers and CancelRun. */
  readonly live: LiveRuns;
  /** Follows a run that a repeated idempotency key attaches to. */
  readonly watcher: RunWatcher;
  /** The earlier turns of a thread, as messages; default: threads start empty. */
  readonly threadHistory?: (thread: { readonly principal: string; readonly threadId: string }) => Promise<BaseMessage[]>;
  /** How long an idempotency key holds after its first use. Default 24 hours. */
  readonly idempotencyTtlMs?: number;
  /**
   * Longest wait for a keyed or threaded run's final record to be durable
   * before its answer is sent anyway (the store is down; the record follows
   * when it is back). Default 5,000 ms.
   */
  readonly durableWaitMs?: number;
  /** Longest wait for an idempotency key's claim before the run goes ahead unchecked. Default 2,000 ms. */
  readonly claimTimeoutMs?: number;
  /**
   * Where a run's prompt comes from: the version its request names (or the
   * default prompt's active one), its variables filled in. Default none:
   * every run uses the executor's prompt, and a request naming one is refused.
   */
  readonly prompts?: PromptSource;
  /** This replica's id, recorded with its runs: their replica's heartbeat tells others whether they still run. Default "". */
  readonly replicaId?: string;
  /** Aborted when the service stops for good (its shutdown grace is over): every run stops then. Default never. */
  readonly stopping?: AbortSignal;
  /**
   * Output tokens reserved for each model call against a token budget, on
   * top of an estimate of its input (messages and tool definitions, a
   * character counted as a third of a token, more than tokenizers give for
   * prose and JSON). Default 1,024.
   */
  readonly turnReserveTokens?: number;
  /** Where each run's start and end, model calls and tool calls go, for the audit log (see run-audit.ts). Default none. */
  readonly audit?: AuditAppender;
  /** Redacts sensitive data from every event before anyone gets it: callers, watchers, the record. Default none. */
  readonly redaction?: OutputRedaction;
  /**
   * Makes the spans of the store calls a run waits for, children of its RPC's
   * span: `store.claim_idempotency_key` and `store.thread_history` (the
   * records written behind the run are no run's). Default none: no spans.
   */
  readonly tracer?: Tracer;
  /** Creates run ids. Default `crypto.randomUUID`. */
  readonly newRunId?: () => string;
  /** Wall clock in milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/** The prompts runs choose from (see `prompt-catalog.ts`). */
export interface PromptSource {
  /** The prompt of a run whose request names none. */
  readonly defaultPrompt: string;
  /**
   * The version a run of `name` by `principal` uses: `version` when pinned,
   * else its experiment arm's while one runs, else the active one. Throws a
   * ConnectError naming what is missing.
   */
  choose(name: string, version: string, principal: string): PromptChoice | Promise<PromptChoice>;
}

/** One run as an RPC asks for it. */
export interface RunCall {
  readonly fields: RunFields;
  /** The RPC's signal: the caller going away or its deadline stops the run. */
  readonly signal: AbortSignal;
  /** The RPC's server span; the run's spans are its children. */
  readonly span: Span | undefined;
  /** Whether text deltas are produced (Stream) or not (Execute, which only folds). */
  readonly streamText: boolean;
  /** Who runs it, as authentication established it (never a request field); its runs, keys and threads are its own. */
  readonly principal: string;
  /** The principal's limits: its concurrent runs and its budgets for each model call. Default none. */
  readonly admission?: RunAdmission;
  /**
   * The principal as a metric label: a configured principal's name, or
   * `_OTHER` for one that is not (a JWT subject), so that the series stay
   * bounded. Default `principal`.
   */
  readonly principalLabel?: string;
}

/** Owns a run from admission to its record. */
export interface RunLifecycle {
  /**
   * Runs the agent and yields its events, each with its `seq`, ending with
   * `runCompleted`; throws the `ConnectError` the caller gets when the run
   * fails. Every event is recorded, and the run's row when it starts and ends.
   * A repeated idempotency key yields the events of the run that holds it.
   */
  run(call: RunCall): AsyncGenerator<StreamResponse, void, undefined>;
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * Creates the run lifecycle, the one sequence every run goes through: the
 * idempotency key's claim (or the run that holds it), an execution slot, the
 * thread's earlier turns, the executor's events numbered, recorded and shown
 * to watchers, the run's row written when it starts and when it ends (durably
 * before the answer, for a keyed or threaded run), its log lines and metrics.
 * The RPC handlers (Execute, Stream) are thin adapters over it.
 */
export function createRunLifecycle(options: RunLifecycleOptions): RunLifecycle {
  const { executor, limits, limiter, metrics, logger, recorder, store, live, watcher, threadHistory, prompts, stopping } = options;
  const replicaId = options.replicaId ?? "";
  const now = options.now ?? Date.now;
  const newRunId = options.newRunId ?? randomUUID;
  const idempotencyTtlMs = options.idempotencyTtlMs ?? dayMs;
  const durableWaitMs = options.durableWaitMs ?? 5_000;
  const claimTimeoutMs = options.claimTimeoutMs ?? 2_000;
  const turnReserveTokens = options.turnReserveTokens ?? 1_024;

  /** Waits, bounded, until everything this run queued is in the store. */
  async function durable(signal: AbortSignal, log: Logger): Promise<void> {
    try {
      await recorder.flush(AbortSignal.any([signal, AbortSignal.timeout(durableWaitMs)]));
    } catch {
      if (!signal.aborted) {
        log.warn({ wait_ms: durableWaitMs }, "the run's record is not in the store yet; answering anyway (it is written when the store is back)");
      }
    }
  }

  let lastUncheckedWarning = -Infinity;

  /**
   * Claims the run's key; undefined when the store cannot answer within
   * `claimTimeoutMs`. Then the run goes ahead unchecked: a store outage
   * fails no run, at the price of a repeat during it running twice.
   */
  async function claim(row: RunRow, log: Logger, parent: Context): Promise<IdempotencyOutcome | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await inSpan(options.tracer, "store.claim_idempotency_key", { "agent.run_id": row.runId }, parent, () =>
        Promise.race([
          store.claimIdempotencyKey({ run: row, expiredBefore: new Date(now() - idempotencyTtlMs) }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${claimTimeoutMs} ms`)), claimTimeoutMs);
          }),
        ]),
      );
    } catch (err) {
      metrics.idempotencyUnchecked();
      if (now() - lastUncheckedWarning >= 10_000) {
        lastUncheckedWarning = now();
        log.warn({ err, run_id: row.runId }, "the run store cannot claim idempotency keys: runs go ahead without the check until it is back");
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async function history(principal: string, threadId: string, traceId: string, parent: Context): Promise<BaseMessage[] | undefined> {
    if (threadId === "" || threadHistory === undefined) {
      return undefined;
    }
    try {
      return await inSpan(options.tracer, "store.thread_history", { "agent.thread_id": threadId }, parent, () => threadHistory({ principal, threadId }));
    } catch (err) {
      throw connectErrorWithDetail(
        "the run store is unavailable, and a run in a thread needs its earlier turns; retry shortly",
        Code.Unavailable,
        { reason: "RUN_STORE_UNAVAILABLE", retryAfterMs: 1_000, traceId },
        err,
      );
    }
  }

  /** Waits, bounded, until this run's records are in the store; at once when the store is failing. */
  async function settle(signal: AbortSignal, log: Logger): Promise<void> {
    if (!recorder.failing()) {
      await durable(signal, log);
    }
  }

  /** The prompt version the run uses, its variables filled in, and its experiment arm; undefined for the executor's own. */
  async function promptOf(fields: RunFields, principal: string, traceId: string): Promise<{ version: PromptVersion; experimentId: string; experimentArm: string } | undefined> {
    const named = fields.prompt ?? "";
    const pinned = fields.promptVersion ?? "";
    const variables = fields.variables ?? {};
    if (prompts === undefined) {
      if (named !== "" || pinned !== "" || Object.keys(variables).length > 0) {
        throw connectErrorWithDetail("this server runs one built-in prompt: leave prompt, prompt_version and variables empty", Code.InvalidArgument, {
          reason: "PROMPT_NOT_FOUND",
          traceId,
        });
      }
      return undefined;
    }
    const choice = await prompts.choose(named === "" ? prompts.defaultPrompt : named, pinned, principal);
    return { version: choice.prompt.bind(variables), experimentId: choice.experimentId, experimentArm: choice.experimentArm };
  }

  async function* run({ fields, signal, span, streamText, principal, admission, principalLabel }: RunCall): AsyncGenerator<StreamResponse, void, undefined> {
    const traceId = traceIdOf(span);
    const resolved = resolveRunLimits(fields, limits);
    // Before anything is claimed or recorded: a prompt that does not exist, or variables that do not fit it, leave no trace.
    const chosen = await promptOf(fields, principal, traceId);
    const prompt = chosen?.version;
    const experiment = chosen === undefined || chosen.experimentId === "" ? undefined : { id: chosen.experimentId, arm: chosen.experimentArm };
    // The run's own lines (model calls, tools) add their span's id to `runLog`;
    // these lines carry the RPC span's. pino repeats a key a child sets again,
    // so each line must get `span_id` from exactly one place.
    const runLog = logger.child({ trace_id: traceId, principal });
    const spanId = span?.spanContext().spanId;
    const keyed = fields.idempotencyKey !== "";
    // A later call depends on this run's record: its key's repeat, or the thread's next turn.
    const mustBeDurable = keyed || fields.threadId !== "";
    let row = startedRow({
      runId: newRunId(),
      principal,
      threadId: fields.threadId,
      input: fields.input,
      model: executor.primaryModel,
      promptVersion: prompt?.id ?? executor.promptVersion,
      traceId,
      startedAt: now(),
      idempotencyKey: fields.idempotencyKey,
      requestDigest: keyed ? requestDigest(fields) : "",
      replicaId,
    });
    if (experiment !== undefined) {
      row = { ...row, experimentId: experiment.id, experimentArm: experiment.arm };
    }
    const runId = row.runId;
    const ids = () => ({ span_id: spanId, run_id: runId });
    // The RPC's span is the active one while the run works, whoever drives it (a
    // stream's writer, pump()): what the run calls (Redis, the store) nests under it.
    const rpcContext = span === undefined ? context.active() : trace.setSpan(ROOT_CONTEXT, span);

    // Recorded from the start when its claim wrote it; else once it starts, so a refused run leaves no record.
    let recorded = false;
    if (keyed) {
      const claimed = await claim(row, runLog, rpcContext);
      recorded = claimed !== undefined;
      if (claimed?.outcome === "mismatch") {
        throw connectErrorWithDetail(
          `idempotency_key "${fields.idempotencyKey}" was already used for a different request (run ${claimed.run.runId}); use a new key for a new request`,
          Code.InvalidArgument,
          { reason: "IDEMPOTENCY_KEY_REUSED", runId: claimed.run.runId, traceId },
        );
      }
      if (claimed?.outcome === "existing") {
        runLog.info({ span_id: spanId, run_id: claimed.run.runId, idempotency_key: fields.idempotencyKey, status: claimed.run.status }, "repeated idempotency key: answering with its run");
        yield* watcher.watch(claimed.run.runId, 0, (owner) => owner === principal, signal);
        return;
      }
    }

    const modelsUsed: string[] = [];
    // As the run's summary folds it (applyRunEvent): a fallback answered a turn that finished.
    let fallbackUsed = false;
    let seq = 0;
    let release: (() => void) | undefined;
    let releasePrincipalRun: (() => void) | undefined;
    const started = now();
    let stopReason: RunStopReason = "error";
    // Set once the run reached its end: completed, or failed and recorded as such.
    let ended = false;
    // The RPC's loop below: started, and waiting for next() (not for its consumer).
    let looping = false;
    let pulling = false;
    // Once set, the run is driven by pump() alone, to its end.
    let pumped: Promise<ConnectError | undefined> | undefined;
    const canceler = new AbortController();
    // The RPC's end stops the run, except that a Stream with a key outlives a caller who went
    // away: the caller's retry, or a watcher, follows it again (WatchRun). Its deadline still
    // stops it. An Execute has nothing to resume: it stops, and frees its key for the retry.
    const resumable = keyed && streamText;
    const rpcStop = new AbortController();
    const onRpcAbort = () => {
      if (!resumable || stopsEveryRun(signal.reason)) {
        rpcStop.abort(signal.reason);
      } else if (!ended) {
        runLog.info(ids(), "the caller went away: the run goes on, for its key's repeats and its watchers");
      }
      // The RPC may never ask for the next event: connect-node's write to an HTTP/1.1 socket
      // destroyed before its 'close' waits for a 'drain' that never comes. So the run does not
      // wait for it: from an event already yielded, it goes on (or stops) without its caller.
      if (looping && !pulling) {
        pump();
      }
    };
    if (signal.aborted) {
      onRpcAbort();
    } else {
      signal.addEventListener("abort", onRpcAbort, { once: true });
    }
    const runSignal = AbortSignal.any([rpcStop.signal, canceler.signal, ...(stopping === undefined ? [] : [stopping])]);
    const liveRun = live.begin(runId, principal, (reason) => canceler.abort(reason));
    // The run's entries in the audit log; appending only queues them.
    const auditTrail = options.audit === undefined ? undefined : createRunAuditTrail(options.audit, { runId, principal, traceId }, now);
    let events: AsyncGenerator<StreamResponse, void, undefined> | undefined;

    /** The run's next event, numbered, recorded and shown to watchers; undefined after the last. */
    function next(): Promise<StreamResponse | undefined> {
      return context.with(rpcContext, nextEvent);
    }

    async function nextEvent(): Promise<StreamResponse | undefined> {
      try {
        if (events === undefined) {
          // The principal's own limit first: a principal at its limit holds no slot of the replica's.
          releasePrincipalRun = await admission?.acquireRun();
          // Waits for a slot; refused at once when the queue is full too.
          release = await limiter.acquire(runSignal);
          metrics.runStarted();
          const request = {
            runId,
            ...(prompt === undefined ? {} : { prompt }),
            input: fields.input,
            history: await history(principal, fields.threadId, traceId, rpcContext),
            traceId,
            useCache: !fields.bypassCache,
            streamText,
            traceContext: span === undefined ? undefined : trace.setSpan(ROOT_CONTEXT, span),
            log: runLog,
            ...(admission === undefined ? {} : { meter: meterOf(admission, turnReserveTokens) }),
            ...resolved,
          };
          events = options.redaction === undefined ? executor.run(request, runSignal) : redactedEvents(executor.run(request, runSignal), options.redaction);
        }
        const step = await events.next();
        if (step.done === true) {
          ended = true;
          return undefined;
        }
        const event = step.value;
        seq += 1;
        event.seq = seq;
        if (experiment !== undefined) {
          stampExperiment(event, experiment);
        }
        auditTrail?.event(event);
        const e = event.event;
        if (e.case === "runStarted") {
          if (!recorded) {
            recorder.run(row);
            recorded = true;
          }
          runLog.info(
            { ...ids(), model: e.value.model, max_iterations: resolved.maxIterations, max_execution_time_ms: resolved.maxExecutionTimeMs },
            "run started",
          );
        } else if (e.case === "modelCallFinished" && e.value.call !== undefined) {
          const call = e.value.call;
          if (!modelsUsed.includes(call.model)) {
            modelsUsed.push(call.model);
          }
          fallbackUsed ||= call.fallback;
          if (call.attempt > 0) {
            // Attempt 0 is an answer from the cache, which used no tokens.
            metrics.recordTokens({
              model: call.model,
              principal: principalLabel ?? principal,
              inputTokens: call.usage?.inputTokens ?? 0,
              outputTokens: call.usage?.outputTokens ?? 0,
              costUsd: call.costUsd,
            });
          }
        } else if (e.case === "runCompleted" && e.value.result !== undefined) {
          const result = e.value.result;
          stopReason = StopReason[result.stopReason].toLowerCase() as RunStopReason;
          row = completedRow(row, result, modelsUsed, now());
          runLog.info(
            {
              ...ids(),
              stop_reason: StopReason[result.stopReason],
              iterations: result.iterations,
              model: result.model,
              fallback_used: result.fallbackUsed,
              input_tokens: result.usage?.inputTokens,
              output_tokens: result.usage?.outputTokens,
              cost_usd: result.costUsd,
            },
            "run finished",
          );
        }
        if (recorded) {
          recorder.event({ runId, seq, lastSeq: seq, kind: e.case ?? "", payload: sizeDelimitedEncode(StreamResponseSchema, event), at: new Date() });
        }
        liveRun.push(event);
        if (e.case === "runCompleted") {
          // After the event, so that a completed row never has fewer events than it had.
          recorder.run(row);
          liveRun.end();
          ended = true;
          if (mustBeDurable) {
            await settle(runSignal, runLog);
          }
        }
        return event;
      } catch (err) {
        ended = true;
        stopReason = runSignal.aborted ? "canceled" : "error";
        // Stopped from outside, the run fails with why it was stopped, whatever shape the abort took on its way.
        const cause = runSignal.aborted ? stoppedBecause(runSignal.reason) : err;
        const { error, internal } = toConnectError(cause, { runId: recorded ? runId : undefined, traceId });
        if (internal) {
          runLog.error({ ...ids(), err }, "run failed with an internal error");
        } else {
          runLog.warn({ ...ids(), code: Code[error.code], reason: error.rawMessage }, "run failed");
        }
        liveRun.end(error);
        auditTrail?.failed(error);
        if (recorded && row.status === "running") {
          row = failedRow(row, error, modelsUsed, fallbackUsed, now());
          recorder.run(row);
          if (mustBeDurable) {
            // So that a retry with the key finds it freed.
            await settle(AbortSignal.timeout(durableWaitMs), runLog);
          }
        }
        throw error;
      }
    }

    const finish = () => {
      signal.removeEventListener("abort", onRpcAbort);
      releasePrincipalRun?.();
      releasePrincipalRun = undefined;
      if (release !== undefined) {
        release();
        release = undefined;
        metrics.runFinished({ stopReason, durationS: (now() - started) / 1000 });
      }
    };

    function pump(): void {
      pumped ??= (async () => {
        try {
          while ((await next()) !== undefined) {
            // Each event is recorded and shown to watchers by next().
          }
          return undefined;
        } catch (err) {
          // next() recorded and logged the failure.
          return err as ConnectError;
        } finally {
          finish();
        }
      })();
    }

    try {
      looping = true;
      for (;;) {
        if (pumped !== undefined) {
          break;
        }
        pulling = true;
        const event = await next();
        pulling = false;
        if (event === undefined) {
          break;
        }
        if (signal.aborted && !ended) {
          // The RPC ended while this event was on its way: the run is handed to pump().
          pump();
          break;
        }
        yield event;
      }
      if (pumped !== undefined && runSignal.aborted) {
        // The run was stopped (its deadline, the shutdown): a consumer still reading gets why.
        const failure = await pumped;
        if (failure !== undefined) {
          throw failure;
        }
      }
    } finally {
      pulling = false;
      looping = false;
      if (pumped !== undefined) {
        // pump() owns the run's end.
      } else if (!ended && resumable && !runSignal.aborted) {
        // The consumer stopped reading (its caller went away): the run goes on to its end without it.
        pump();
      } else if (!ended) {
        // The consumer stopped reading mid-run (the caller went away between two events).
        stopReason = "canceled";
        await events?.return();
        const error = new ConnectError("the caller went away", Code.Canceled);
        liveRun.end(error);
        auditTrail?.failed(error);
        if (recorded) {
          row = failedRow(row, error, modelsUsed, fallbackUsed, now());
          recorder.run(row);
        }
        finish();
      } else {
        finish();
      }
    }
  }

  return { run };
}

/** The executor's meter over a principal's admission: each model call reserves its estimated tokens. */
function meterOf(admission: RunAdmission, turnReserveTokens: number): TurnMeter {
  return {
    reserve(messages, tools) {
      let chars = JSON.stringify(tools).length;
      for (const message of messages) {
        chars += typeof message.content === "string" ? message.content.length : JSON.stringify(message.content).length;
        // Tool calls the model asked for are sent back with its message.
        if ("tool_calls" in message && message.tool_calls !== undefined) {
          chars += JSON.stringify(message.tool_calls).length;
        }
      }
      return admission.reserveTurn(Math.ceil(chars / 3) + turnReserveTokens);
    },
  };
}

/**
 * Whether an RPC's end stops its run even when the run has a key: its
 * deadline, and the server's shutdown. A caller that went away (a reset, a
 * cancel, a stalled reader cut) does not; connect-node reports that in many
 * shapes, which all mean the same here.
 */
function stopsEveryRun(reason: unknown): boolean {
  return reason instanceof ConnectError && (reason.code === Code.DeadlineExceeded || reason.code === Code.Unavailable);
}

/**
 * Why a run was stopped from outside, as its error: the reason when it is one
 * the caller can act on, else the caller went away (connect-node reports a
 * peer's reset as ABORTED, other ends of a connection as INTERNAL or no reason).
 */
function stoppedBecause(reason: unknown): ConnectError {
  if (reason instanceof ConnectError && reason.code !== Code.Internal && reason.code !== Code.Unknown && reason.code !== Code.Aborted) {
    return reason;
  }
  return new ConnectError("the caller went away", Code.Canceled, undefined, undefined, reason);
}

/**
 * SHA-256 of what decides a run's outcome, in a fixed order: a key reused
 * with any of it changed is a different request.
 */
function requestDigest(fields: RunFields): string {
  const time = fields.maxExecutionTime === undefined ? null : durationMs(fields.maxExecutionTime);
  // Fields added later come last, and only when set: a key's digest from before them stays the same.
  const variables = Object.entries(fields.variables ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const promptFields = (fields.prompt ?? "") === "" && (fields.promptVersion ?? "") === "" && variables.length === 0 ? [] : [fields.prompt ?? "", fields.promptVersion ?? "", variables];
  const canonical = JSON.stringify([
    fields.input,
    fields.maxIterations,
    time,
    fields.bypassCache,
    fields.threadId,
    ...(fields.maxCostUsd === 0 && promptFields.length === 0 ? [] : [fields.maxCostUsd]),
    ...promptFields,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

/** Marks a run's first and last events with the experiment arm it was assigned, as its caller and its record show it. */
function stampExperiment(event: StreamResponse, experiment: { readonly id: string; readonly arm: string }): void {
  const e = event.event;
  if (e.case === "runStarted") {
    e.value.experimentId = experiment.id;
    e.value.experimentArm = experiment.arm;
  } else if (e.case === "runCompleted" && e.value.result !== undefined) {
    e.value.result.experimentId = experiment.id;
    e.value.result.experimentArm = experiment.arm;
  }
}

function failedRow(row: RunRow, error: ConnectError, modelsUsed: readonly string[], fallbackUsed: boolean, endedAt: number): RunRow {
  const reason = error.findDetails(ErrorDetailSchema)[0]?.reason;
  return {
    ...row,
    status: error.code === Code.Canceled ? "canceled" : "failed",
    modelsUsed: [...modelsUsed],
    fallbackUsed,
    errorCode: reason ?? Code[error.code].toUpperCase(),
    errorMessage: error.rawMessage,
    errorStatus: Code[error.code],
    endedAt: new Date(endedAt),
  };
}

interface StartedRowFields {
  readonly runId: string;
  readonly principal: string;
  readonly threadId: string;
  readonly input: string;
  readonly model: string;
  readonly promptVersion: string;
  readonly traceId: string;
  readonly startedAt: number;
  readonly idempotencyKey: string;
  readonly requestDigest: string;
  readonly replicaId: string;
}

function startedRow({ runId, principal, threadId, input, model, promptVersion, traceId, startedAt, idempotencyKey, requestDigest, replicaId }: StartedRowFields): RunRow {
  return {
    runId,
    principal,
    threadId,
    status: "running",
    input,
    output: "",
    promptVersion,
    model,
    modelsUsed: [],
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    costUsd: 0,
    iterations: 0,
    stopReason: "",
    errorCode: "",
    errorMessage: "",
    errorStatus: "",
    traceId,
    idempotencyKey,
    requestDigest,
    replicaId,
    startedAt: new Date(startedAt),
    endedAt: undefined,
    result: undefined,
  };
}

function completedRow(row: RunRow, result: ExecuteResponse, modelsUsed: readonly string[], endedAt: number): RunRow {
  return {
    ...row,
    status: "completed",
    output: result.output,
    model: result.model,
    modelsUsed: [...modelsUsed],
    inputTokens: result.usage?.inputTokens ?? 0,
    outputTokens: result.usage?.outputTokens ?? 0,
    totalTokens: result.usage?.totalTokens ?? 0,
    costUsd: result.costUsd,
    iterations: result.iterations,
    stopReason: StopReason[result.stopReason].toLowerCase(),
    fallbackUsed: result.fallbackUsed,
    endedAt: new Date(endedAt),
    result: toBinary(ExecuteResponseSchema, result),
  };
}
