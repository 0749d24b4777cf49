import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import { ExecuteResponseSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import { RunStatus, type ListRunsRequest, type RunService } from "../../gen/agent/v1/run_service_pb.js";
import { permissionDenied } from "../auth/access-policy.js";
import { hasRole, principalOf, roles, runOwnerFilter } from "../auth/principal.js";
import { dateOf } from "./request-timestamp.js";
import { decodeRunPageToken, encodeRunPageToken, pageFingerprint } from "./run-page-token.js";
import { connectErrorWithDetail, invalidArgumentError } from "../errors/error-detail.js";
import type { LiveRuns } from "../runs/live-runs.js";
import { checkRunListFilters } from "../runs/request-rules.js";
import { eventsOf, runOf, statusOf, stepsOf } from "../runs/run-messages.js";
import type { RunSignals } from "../runs/run-signals.js";
import type { RunWatcher } from "../runs/run-watch.js";
import type { RunRecorder } from "../runs/run-recorder.js";
import type { ExperimentStore, RunFilter, RunStatus as StoredStatus, RunStore } from "../store/index.js";

/** Dependencies of {@link createRunService}. */
export interface RunServiceOptions {
  readonly store: RunStore & Pick<ExperimentStore, "submitFeedback">;
  /** Runs in progress on this replica: CancelRun stops them directly. */
  readonly live: LiveRuns;
  /** Follows runs, wherever they run (WatchRun; CancelRun waits with it). */
  readonly watcher: RunWatcher;
  /** Carries CancelRun to the replica running the run. */
  readonly signals: RunSignals;
  /** The GetThread handler. */
  readonly getThread: ServiceImpl<typeof RunService>["getThread"];
  /** This replica's recorder: a read first waits for what it has queued, so a caller sees its own runs. */
  readonly recorder: RunRecorder;
  readonly logger: Logger;
  /** Longest wait for the recorder before reading anyway. Default 2,000 ms. */
  readonly flushWaitMs?: number;
  /** Longest wait of CancelRun for the run to end. Default 10,000 ms. */
  readonly cancelWaitMs?: number;
}

/** The largest feedback score, either way. */
const maxFeedbackScore = 1_000_000;
const maxFeedbackCommentChars = 2_000;

/** Events per GetRun response. */
const eventsPerPage = 1_000;
const defaultPageSize = 50;
const maxPageSize = 200;

const storedStatusOf = new Map<RunStatus, StoredStatus>(Object.entries(statusOf).map(([k, v]) => [v, k as StoredStatus]));

/** The RunService handlers: runs read back from the store. */
export function createRunService(options: RunServiceOptions): ServiceImpl<typeof RunService> {
  const { store, recorder, logger, live, watcher, signals, getThread } = options;
  const flushWaitMs = options.flushWaitMs ?? 2_000;
  const cancelWaitMs = options.cancelWaitMs ?? 10_000;

  /** Waits for this replica's queued records, bounded: a store that is down answers the read itself. */
  async function caughtUp(signal: AbortSignal): Promise<void> {
    await recorder.flush(AbortSignal.any([signal, AbortSignal.timeout(flushWaitMs)])).catch(() => undefined);
  }

  async function read<T>(what: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      logger.warn({ err }, `run store read failed: ${what}`);
      throw connectErrorWithDetail("the run store is unavailable; try again shortly", Code.Unavailable, { reason: "RUN_STORE_UNAVAILABLE", retryAfterMs: 1_000 }, err);
    }
  }

  return {
    getCaller(_req, ctx) {
      const principal = principalOf(ctx);
      // Every role it holds, an admin's implied "caller" included.
      return { principal: principal.id, roles: roles.filter((role) => hasRole(principal, role)) };
    },

    async submitFeedback(req, ctx) {
      requireRunId(req.runId);
      const violations = [];
      if (!Number.isFinite(req.score) || Math.abs(req.score) > maxFeedbackScore) {
        violations.push(create(FieldViolationSchema, { field: "score", description: `must be a finite number from -${maxFeedbackScore} to ${maxFeedbackScore}, got ${req.score}` }));
      }
      if (req.comment.length > maxFeedbackCommentChars) {
        violations.push(create(FieldViolationSchema, { field: "comment", description: `must be at most ${maxFeedbackCommentChars} characters, got ${req.comment.length}` }));
      }
      if (violations.length > 0) {
        throw invalidArgumentError(violations);
      }
      await caughtUp(ctx.signal);
      const principal = principalOf(ctx);
      const row = await read("get run", () => store.getRun(req.runId));
      if (row === undefined || !runOwnerFilter(principal)(row.principal)) {
        throw runNotFound(req.runId);
      }
      const kept = await read("submit feedback", () => store.submitFeedback({ runId: req.runId, principal: principal.id, score: req.score, comment: req.comment, at: new Date() }));
      return { first: kept.first };
    },

    async getRun(req, ctx) {
      requireRunId(req.runId);
      await caughtUp(ctx.signal);
      const row = await read("get run", () => store.getRun(req.runId));
      if (row === undefined || !runOwnerFilter(principalOf(ctx))(row.principal)) {
        throw runNotFound(req.runId);
      }
      const afterSeq = req.includeEvents ? req.eventsAfterSeq : 0;
      const needEvents = req.includeEvents || row.result === undefined;
      const rows = needEvents ? await read("list events", () => store.listEvents(row.runId, afterSeq, eventsPerPage + 1)) : [];
      const events = rows.flatMap(eventsOf).filter((event) => event.seq > afterSeq);
      const page = events.slice(0, eventsPerPage);
      const summary = row.result === undefined ? undefined : fromBinary(ExecuteResponseSchema, row.result);
      const run = runOf(row, summary !== undefined ? summary.steps : afterSeq === 0 ? stepsOf(events) : []);
      if (summary?.structuredOutput !== undefined) {
        run.structuredOutput = summary.structuredOutput;
      }
      return {
        run,
        events: req.includeEvents ? page : [],
        moreEvents: req.includeEvents && (events.length > eventsPerPage || rows.length > eventsPerPage),
      };
    },

    async *watchRun(req, ctx) {
      requireRunId(req.runId);
      for await (const event of watcher.watch(req.runId, req.afterSeq, runOwnerFilter(principalOf(ctx)), ctx.signal)) {
        yield { event };
      }
    },

    async cancelRun(req, ctx) {
      requireRunId(req.runId);
      const sees = runOwnerFilter(principalOf(ctx));
      const reason = canceledByRequest(req.runId);
      const here = live.get(req.runId);
      if (here !== undefined && !sees(here.principal)) {
        throw runNotFound(req.runId);
      }
      if (!live.cancel(req.runId, reason)) {
        await caughtUp(ctx.signal);
        // Waits a moment for a run started elsewhere an instant ago; undefined: it runs here after all.
        const row = await watcher.find(req.runId, sees, ctx.signal);
        if (row !== undefined && row.status !== "running") {
          return { run: runOf(row, []) };
        }
        if (row === undefined || !live.cancel(req.runId, reason)) {
          try {
            await signals.publishCancel(req.runId);
          } catch (err) {
            logger.warn({ err, run_id: req.runId }, "could not send a cancel to the other replicas");
            throw connectErrorWithDetail(
              "the run runs on another replica, which cannot be reached now; try again shortly",
              Code.Unavailable,
              { reason: "RUN_STORE_UNAVAILABLE", retryAfterMs: 1_000 },
              err,
            );
          }
        }
      }
      const ended = await watcher.ended(req.runId, sees, AbortSignal.any([ctx.signal, AbortSignal.timeout(cancelWaitMs)]));
      return { run: runOf(ended, []) };
    },

    getThread,

    async listRuns(req, ctx) {
      if (req.pageSize > maxPageSize) {
        throw invalid("page_size", `must be at most ${maxPageSize} (0 means ${defaultPageSize})`);
      }
      const limit = req.pageSize === 0 ? defaultPageSize : req.pageSize;
      const status = req.status === RunStatus.UNSPECIFIED ? undefined : storedStatusOf.get(req.status);
      if (req.status !== RunStatus.UNSPECIFIED && status === undefined) {
        throw invalid("status", "must be one of RUN_STATUS_RUNNING, _COMPLETED, _FAILED, _CANCELED, or unset");
      }
      // A caller lists its own runs; every principal's, or another's, is for admins.
      const caller = principalOf(ctx);
      if (!hasRole(caller, "admin") && req.principal !== "" && req.principal !== caller.id) {
        throw permissionDenied(caller, "admin", "agent.v1.RunService/ListRuns for another principal's runs");
      }
      const principal = hasRole(caller, "admin") ? req.principal : caller.id;
      const startedAfter = dateOf("started_after", req.startedAfter);
      const startedBefore = dateOf("started_before", req.startedBefore);
      const violations = checkRunListFilters(req);
      if (violations.length > 0) {
        throw invalidArgumentError(violations);
      }
      const filter: Omit<RunFilter, "limit" | "olderThan"> = {
        ...(principal === "" ? {} : { principal }),
        ...(status === undefined ? {} : { status }),
        ...(startedAfter === undefined ? {} : { startedAfter }),
        ...(startedBefore === undefined ? {} : { startedBefore }),
        ...(req.prompt === "" ? {} : { prompt: req.prompt }),
        ...(req.promptVersion === "" ? {} : { promptVersion: req.promptVersion }),
        ...(req.model === "" ? {} : { model: req.model }),
        ...(req.inputContains === "" ? {} : { inputContains: req.inputContains }),
      };
      const fingerprint = filterFingerprint(principal, req);
      const olderThan = req.pageToken === "" ? undefined : decodeRunPageToken(req.pageToken, fingerprint, {
            malformed: "must be the next_page_token of a previous ListRuns response, unchanged",
            otherRequest: "belongs to a ListRuns call with other filters; send the same filters as the first page",
          });
      await caughtUp(ctx.signal);
      const rows = await read("list runs", () => store.listRuns({ ...filter, ...(olderThan === undefined ? {} : { olderThan }), limit: limit + 1 }));
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        runs: page.map((row) => runOf(row, [])),
        nextPageToken: rows.length > limit && last !== undefined ? encodeRunPageToken(last, fingerprint) : "",
      };
    },
  };
}

/** The error a run gets when CancelRun stops it, on whichever replica runs it. */
export function canceledByRequest(runId: string): ConnectError {
  return connectErrorWithDetail("the run was canceled (CancelRun)", Code.Canceled, { reason: "RUN_CANCELED", runId });
}

function requireRunId(runId: string): void {
  if (runId.trim() === "") {
    throw invalid("run_id", "must be the run_id of a run, as Execute or Stream returned it");
  }
}

/** NOT_FOUND for a run that does not exist or is not the caller's; the id is echoed, never more of it than an id can be. */
function runNotFound(runId: string): ConnectError {
  return connectErrorWithDetail(`no run with run_id "${runId.slice(0, 64)}" (unknown, or older than the retention period)`, Code.NotFound, {
    reason: "RUN_NOT_FOUND",
  });
}

function invalid(field: string, description: string): ConnectError {
  return invalidArgumentError([create(FieldViolationSchema, { field, description })]);
}

/** What a ListRuns page token is bound to: the principal listed and every filter. */
function filterFingerprint(principal: string, req: ListRunsRequest): string {
  const time = (at: Timestamp | undefined) => (at === undefined ? null : timestampDate(at).getTime());
  const { prompt, promptVersion, model, inputContains } = req;
  // Filters added later come last, and only when set: a token from before them stays valid.
  const later = prompt === "" && promptVersion === "" && model === "" && inputContains === "" ? [] : [prompt, promptVersion, model, inputContains];
  return pageFingerprint([principal, req.status, time(req.startedAfter), time(req.startedBefore), ...later]);
}
