import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import { denialOf } from "./denial-interceptor.js";

const traceId = "0af7651916cd43dd8448eb211c80319c";

describe("denialOf", () => {
  it.each([
    { code: Code.Unauthenticated, reason: "CREDENTIALS_MISSING", name: "UNAUTHENTICATED" },
    { code: Code.PermissionDenied, reason: "ROLE_REQUIRED", name: "PERMISSION_DENIED" },
    { code: Code.ResourceExhausted, reason: "RATE_LIMITED", name: "RESOURCE_EXHAUSTED" },
    { code: Code.ResourceExhausted, reason: "COST_BUDGET_EXHAUSTED", name: "RESOURCE_EXHAUSTED" },
    { code: Code.InvalidArgument, reason: "INPUT_REJECTED", name: "INVALID_ARGUMENT" },
  ])("is a denial for $name with reason $reason", ({ code, reason, name }) => {
    expect(denialOf(connectErrorWithDetail("refused", code, { reason, runId: "run-1", traceId }), traceId)).toEqual({ code: name, reason, runId: "run-1" });
  });

  it.each([
    { code: Code.InvalidArgument, reason: "INVALID_REQUEST" },
    { code: Code.NotFound, reason: "RUN_NOT_FOUND" },
    { code: Code.Unavailable, reason: "MODELS_UNAVAILABLE" },
    { code: Code.Canceled, reason: "RUN_CANCELED" },
  ])("is no denial for $reason", ({ code, reason }) => {
    expect(denialOf(connectErrorWithDetail("failed", code, { reason }), traceId)).toBeUndefined();
  });

  it("names the code as the reason of an error without a detail", () => {
    expect(denialOf(new ConnectError("refused", Code.PermissionDenied), traceId)).toEqual({ code: "PERMISSION_DENIED", reason: "PERMISSION_DENIED", runId: "" });
  });

  it("is no denial of this call when it is another call's, replayed (its detail names another trace)", () => {
    const replayed = connectErrorWithDetail("over budget", Code.ResourceExhausted, { reason: "TOKEN_BUDGET_EXHAUSTED", runId: "run-1", traceId: "f".repeat(32) });
    expect(denialOf(replayed, traceId)).toBeUndefined();
  });
});
