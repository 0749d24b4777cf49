import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { AuditService } from "../../gen/agent/v1/audit_service_pb.js";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import { connectErrorWithDetail, invalidArgumentError } from "../errors/error-detail.js";
import { dateOf } from "../rpc/request-timestamp.js";
import { pageFingerprint } from "../rpc/run-page-token.js";
import { verifyAuditLog, type AuditFilter, type AuditStore } from "../store/index.js";
import { auditEventOf } from "./audit-messages.js";
import { decodeAuditPageToken, encodeAuditPageToken } from "./audit-page-token.js";
import type { AuditWriter } from "./audit-writer.js";

/** Dependencies of {@link createAuditService}. */
export interface AuditServiceOptions {
  readonly store: Pick<AuditStore, "auditHead" | "readAuditChain" | "listAuditEvents">;
  /** This replica's writer: a read first waits for what it has queued, so an admin sees the actions just done. */
  readonly writer: Pick<AuditWriter, "flush">;
  readonly logger: Logger;
  /** Longest wait for the writer before reading anyway. Default 2,000 ms. */
  readonly flushWaitMs?: number;
}

const defaultPageSize = 100;
const maxPageSize = 1_000;

/**
 * The AuditService handlers, admin only (see `access-policy.ts`): the chain
 * verified, and its rows listed oldest first. A store that cannot be read is
 * UNAVAILABLE (`AUDIT_LOG_UNAVAILABLE`).
 */
export function createAuditService(options: AuditServiceOptions): ServiceImpl<typeof AuditService> {
  const { store, writer, logger } = options;
  const flushWaitMs = options.flushWaitMs ?? 2_000;

  /** Waits for this replica's queued entries, bounded: a store that is down answers the read itself. */
  async function caughtUp(signal: AbortSignal): Promise<void> {
    await writer.flush(AbortSignal.any([signal, AbortSignal.timeout(flushWaitMs)])).catch(() => undefined);
  }

  async function read<T>(what: string, signal: AbortSignal, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      if (signal.aborted) {
        // The call's deadline or its caller going away, not the store.
        throw signal.reason;
      }
      logger.warn({ err }, `audit log read failed: ${what}`);
      throw connectErrorWithDetail("the audit log is unavailable; try again shortly", Code.Unavailable, { reason: "AUDIT_LOG_UNAVAILABLE", retryAfterMs: 1_000 }, err);
    }
  }

  return {
    async verifyAuditLog(_req, ctx) {
      await caughtUp(ctx.signal);
      const result = await read("verify", ctx.signal, () => verifyAuditLog(store, { signal: ctx.signal }));
      if (result.problem !== undefined) {
        logger.error(
          { first_bad_seq: result.problem.seq, problem: result.problem.kind, rows_checked: result.rowsChecked },
          `audit log verification failed: ${result.problem.message}`,
        );
      }
      return {
        ok: result.ok,
        rowsChecked: BigInt(result.rowsChecked),
        firstBadSeq: BigInt(result.problem?.seq ?? 0),
        problem: result.problem?.message ?? "",
        headSeq: BigInt(result.headSeq),
      };
    },

    async listAuditEvents(req, ctx) {
      if (req.pageSize > maxPageSize) {
        throw invalid("page_size", `must be at most ${maxPageSize} (0 means ${defaultPageSize})`);
      }
      const limit = req.pageSize === 0 ? defaultPageSize : req.pageSize;
      const after = dateOf("after", req.after);
      const before = dateOf("before", req.before);
      const filter: Omit<AuditFilter, "limit" | "afterSeq"> = {
        ...(req.principal === "" ? {} : { principal: req.principal }),
        ...(req.runId === "" ? {} : { runId: req.runId }),
        ...(after === undefined ? {} : { after }),
        ...(before === undefined ? {} : { before }),
      };
      const fingerprint = pageFingerprint([
        req.principal,
        req.runId,
        req.after === undefined ? null : timestampDate(req.after).getTime(),
        req.before === undefined ? null : timestampDate(req.before).getTime(),
      ]);
      const afterSeq = req.pageToken === "" ? undefined : decodeAuditPageToken(req.pageToken, fingerprint);
      await caughtUp(ctx.signal);
      const rows = await read("list events", ctx.signal, () =>
        store.listAuditEvents({ ...filter, ...(afterSeq === undefined ? {} : { afterSeq }), limit: limit + 1 }),
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        events: page.map(auditEventOf),
        nextPageToken: rows.length > limit && last !== undefined ? encodeAuditPageToken(last.seq, fingerprint) : "",
      };
    },
  };
}

function invalid(field: string, description: string): ConnectError {
  return invalidArgumentError([create(FieldViolationSchema, { field, description })]);
}
