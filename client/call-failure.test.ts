import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { toAgentServiceError } from "./agent-error.js";
import { classifyCallFailure, isConnectionFailure } from "./call-failure.js";

/** A Node.js error with a `code`, as the socket and http2 modules raise them. */
function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** An error as the service sends it: always with an ErrorDetail. */
function serviceError(code: Code, reason: string, retryAfterMs?: number): ConnectError {
  return new ConnectError(`${reason} (simulated)`, code, undefined, [
    { desc: ErrorDetailSchema, value: { reason, retryAfter: retryAfterMs === undefined ? undefined : durationFromMs(retryAfterMs) } },
  ]);
}

// What connect-node 2.1 raised when test/sdk-resume.test.ts cut the TCP connection mid-call.
describe.each([
  {
    seen: "HTTP/2, connection closed (FIN): the stream is reset with CANCEL, no cause",
    error: new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled),
  },
  {
    seen: "HTTP/2, connection reset (RST)",
    error: new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, nodeError("ECONNRESET", "read ECONNRESET")),
  },
  {
    seen: "HTTP/1.1, connection closed mid-response",
    error: new ConnectError("aborted", Code.Aborted, undefined, undefined, nodeError("ECONNRESET", "aborted")),
  },
  {
    seen: "HTTP/1.1, request written to a closed keep-alive connection",
    error: new ConnectError("write EPIPE", Code.Internal, undefined, undefined, nodeError("EPIPE", "write EPIPE")),
  },
  {
    seen: "nothing listens",
    error: new ConnectError("connect ECONNREFUSED", Code.Unavailable, undefined, undefined, nodeError("ECONNREFUSED", "connect ECONNREFUSED")),
  },
  {
    seen: "an HTTP/2 stream error deeper in the chain",
    error: new ConnectError("stream error", Code.Internal, undefined, undefined, new Error("wrapped", { cause: nodeError("ERR_HTTP2_STREAM_ERROR", "Stream closed") })),
  },
])("a connection failure: $seen", ({ error }) => {
  it("is a connection failure, retried whether or not the call follows a run", () => {
    expect(isConnectionFailure(error)).toBe(true);
    expect(classifyCallFailure(toAgentServiceError(error), { followingRun: false }).retryable).toBe(true);
    expect(classifyCallFailure(toAgentServiceError(error), { followingRun: true }).retryable).toBe(true);
  });
});

describe.each([
  { answer: "UNAVAILABLE (models down)", error: serviceError(Code.Unavailable, "MODELS_UNAVAILABLE"), starting: true, following: false },
  { answer: "UNAVAILABLE with a retry-after (store down)", error: serviceError(Code.Unavailable, "RUN_STORE_UNAVAILABLE", 1_000), starting: true, following: true },
  { answer: "RESOURCE_EXHAUSTED with a retry-after", error: serviceError(Code.ResourceExhausted, "SERVER_AT_CAPACITY", 1_000), starting: true, following: true },
  { answer: "RESOURCE_EXHAUSTED without one (a spent budget)", error: serviceError(Code.ResourceExhausted, "BUDGET_EXHAUSTED"), starting: false, following: false },
  { answer: "INVALID_ARGUMENT", error: serviceError(Code.InvalidArgument, "IDEMPOTENCY_KEY_REUSED"), starting: false, following: false },
  { answer: "CANCELED (a canceled run)", error: serviceError(Code.Canceled, "CANCELED"), starting: false, following: false },
  { answer: "DEADLINE_EXCEEDED", error: serviceError(Code.DeadlineExceeded, "DEADLINE_EXCEEDED"), starting: false, following: false },
  { answer: "NOT_FOUND", error: serviceError(Code.NotFound, "RUN_NOT_FOUND"), starting: false, following: false },
  { answer: "INTERNAL", error: serviceError(Code.Internal, "INTERNAL"), starting: false, following: false },
])("the service's answer $answer", ({ error, starting, following }) => {
  it(`is ${starting ? "" : "not "}retried by a call that starts a run, and ${following ? "" : "not "}by one that follows a run`, () => {
    expect(isConnectionFailure(error)).toBe(false);
    expect(classifyCallFailure(toAgentServiceError(error), { followingRun: false }).retryable).toBe(starting);
    expect(classifyCallFailure(toAgentServiceError(error), { followingRun: true }).retryable).toBe(following);
  });
});

describe.each([
  { failure: "a refused connection (nothing was sent)", error: new ConnectError("connect ECONNREFUSED", Code.Unavailable, undefined, undefined, nodeError("ECONNREFUSED", "connect ECONNREFUSED")), retried: true },
  { failure: "a host name that does not resolve", error: new ConnectError("getaddrinfo ENOTFOUND", Code.Unavailable, undefined, undefined, nodeError("ENOTFOUND", "getaddrinfo ENOTFOUND agent")), retried: true },
  { failure: "a rate limit with a retry-after", error: serviceError(Code.ResourceExhausted, "RATE_LIMITED", 1_000), retried: true },
  { failure: "a connection lost mid-call", error: new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled), retried: false },
  { failure: "a connection reset mid-call", error: new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, nodeError("ECONNRESET", "read ECONNRESET")), retried: false },
  { failure: "UNAVAILABLE with a retry-after (the store)", error: serviceError(Code.Unavailable, "PROMPT_STORE_UNAVAILABLE", 1_000), retried: false },
])("a call that must reach the service at most once, after $failure", ({ error, retried }) => {
  it(`is ${retried ? "" : "not "}retried`, () => {
    expect(classifyCallFailure(toAgentServiceError(error), { followingRun: false, atMostOnce: true }).retryable).toBe(retried);
  });
});

describe("classifyCallFailure", () => {
  it("reads the service's retry-after from its ErrorDetail", () => {
    expect(classifyCallFailure(toAgentServiceError(serviceError(Code.ResourceExhausted, "SERVER_AT_CAPACITY", 1_500)), { followingRun: false })).toEqual({
      retryable: true,
      retryAfterMs: 1_500,
    });
  });

  it("does not retry a deadline connect-node raised itself", () => {
    const deadline = new ConnectError("the operation timed out", Code.DeadlineExceeded);
    expect(classifyCallFailure(toAgentServiceError(deadline), { followingRun: false }).retryable).toBe(false);
  });
});
