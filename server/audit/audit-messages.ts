import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuditAction, AuditEventSchema, type AuditEvent } from "../../gen/agent/v1/audit_service_pb.js";
import type { AuditRow } from "../store/index.js";

/** The stored action names and their `agent.v1.AuditAction`. */
const actionOf: Readonly<Record<string, AuditAction>> = {
  run_started: AuditAction.RUN_STARTED,
  run_ended: AuditAction.RUN_ENDED,
  model_call: AuditAction.MODEL_CALL,
  tool_call: AuditAction.TOOL_CALL,
  call_denied: AuditAction.CALL_DENIED,
  prompt_registered: AuditAction.PROMPT_REGISTERED,
  prompt_activated: AuditAction.PROMPT_ACTIVATED,
  experiment_started: AuditAction.EXPERIMENT_STARTED,
  experiment_ended: AuditAction.EXPERIMENT_ENDED,
};

/** An audit row as the API returns it. */
export function auditEventOf(row: AuditRow): AuditEvent {
  return create(AuditEventSchema, {
    seq: BigInt(row.seq),
    at: timestampFromDate(row.at),
    principal: row.principal,
    // A row changed by hand may name anything; VerifyAuditLog says so.
    action: actionOf[row.action] ?? AuditAction.UNSPECIFIED,
    runId: row.runId,
    traceId: row.traceId,
    detail: detailOf(row.detail),
    prevHash: row.prevHash,
    hash: row.hash,
  });
}

/** The stored canonical JSON as an object; text that is not one (only a hand on the database writes that) is shown as it is. */
function detailOf(text: string): JsonObject {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return parsed as JsonObject;
    }
  } catch {
    // Falls through to the text as it is.
  }
  return { unparsed_detail: text };
}
