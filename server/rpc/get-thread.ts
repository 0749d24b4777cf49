import { create } from "@bufbuild/protobuf";
import { Code, type ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "pino";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import { GetThreadResponseSchema, type GetThreadRequest, type GetThreadResponse } from "../../gen/agent/v1/run_service_pb.js";
import { connectErrorWithDetail, invalidArgumentError } from "../errors/error-detail.js";
import { runOf } from "../runs/run-messages.js";
import { decodeRunPageToken, encodeRunPageToken, pageFingerprint } from "./run-page-token.js";
import type { RunRecorder } from "../runs/run-recorder.js";
import type { RunRow, RunStore } from "../store/index.js";

/** Dependencies of {@link createGetThreadHandler}. */
export interface GetThreadHandlerOptions {
  readonly store: RunStore;
  /** This replica's recorder: a read first waits for what it has queued, so a caller sees its own last turn. */
  readonly recorder: RunRecorder;
  readonly logger: Logger;
  /** The authenticated caller of an RPC: threads are read only within their principal. */
  readonly principalOf: (ctx: HandlerContext) => string;
  /** Longest wait for the recorder before reading anyway. Default 2,000 ms. */
  readonly flushWaitMs?: number;
}

const defaultPageSize = 50;
const maxPageSize = 200;

/**
 * Creates the RunService `GetThread` handler: the caller's runs with one
 * `thread_id`, oldest first, a page at a time, every status, steps empty
 * (GetRun has them). A thread the caller has no runs in is NOT_FOUND
 * (`THREAD_NOT_FOUND`), whether it does not exist, is another principal's,
 * or has outlived retention; a later page that finds nothing (its runs were
 * deleted meanwhile) is an empty last page. Page tokens are opaque and bound
 * to the thread and the principal: another thread's is INVALID_ARGUMENT. A
 * store that cannot be read is UNAVAILABLE (`RUN_STORE_UNAVAILABLE`).
 */
export function createGetThreadHandler(options: GetThreadHandlerOptions): (req: GetThreadRequest, ctx: HandlerContext) => Promise<GetThreadResponse> {
  const { store, recorder, logger, principalOf } = options;
  const flushWaitMs = options.flushWaitMs ?? 2_000;

  return async function getThread(req, ctx) {
    if (req.threadId.trim() === "") {
      throw invalid("thread_id", "must be the thread_id of a thread, as sent on Execute or Stream");
    }
    if (req.pageSize > maxPageSize) {
      throw invalid("page_size", `must be at most ${maxPageSize} (0 means ${defaultPageSize})`);
    }
    const limit = req.pageSize === 0 ? defaultPageSize : req.pageSize;
    const principal = principalOf(ctx);
    const fingerprint = pageFingerprint([principal, req.threadId]);
    const newerThan = req.pageToken === "" ? undefined : decodeRunPageToken(req.pageToken, fingerprint, {
          malformed: "must be the next_page_token of a previous GetThread response, unchanged",
          otherRequest: "belongs to another thread; send the thread_id of the first page",
        });

    // Bounded: a store that is down answers the read itself.
    await recorder.flush(AbortSignal.any([ctx.signal, AbortSignal.timeout(flushWaitMs)])).catch(() => undefined);
    let rows: RunRow[];
    try {
      rows = await store.listThreadRuns({
        principal,
        threadId: req.threadId,
        ...(newerThan === undefined ? {} : { newerThan }),
        order: "oldest",
        limit: limit + 1,
      });
    } catch (err) {
      logger.warn({ err }, "run store read failed: get thread");
      throw connectErrorWithDetail("the run store is unavailable; try again shortly", Code.Unavailable, { reason: "RUN_STORE_UNAVAILABLE", retryAfterMs: 1_000 }, err);
    }
    if (rows.length === 0 && newerThan === undefined) {
      // The id is echoed, but never more of it than an id can be.
      throw connectErrorWithDetail(
        `no thread with thread_id "${req.threadId.slice(0, 64)}" (no runs of yours have it, or they are older than the retention period)`,
        Code.NotFound,
        { reason: "THREAD_NOT_FOUND" },
      );
    }
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return create(GetThreadResponseSchema, {
      runs: page.map((row) => runOf(row, [])),
      nextPageToken: rows.length > limit && last !== undefined ? encodeRunPageToken(last, fingerprint) : "",
    });
  };
}

function invalid(field: string, description: string): ConnectError {
  return invalidArgumentError([create(FieldViolationSchema, { field, description })]);
}

