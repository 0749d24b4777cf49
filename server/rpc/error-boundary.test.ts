import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type StreamRequest, type StreamResponse, type UnaryRequest } from "@connectrpc/connect";
import { trace, TraceFlags } from "@opentelemetry/api";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { AgentService, ExecuteRequestSchema, ExecuteResponseSchema, StreamRequestSchema, StreamResponseSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { RunCapacityError } from "../runs/run-limiter.js";
import { boundaryError, createErrorBoundary } from "./error-boundary.js";
import { serverSpanKey } from "./trace-interceptor.js";

// The outermost interceptor: whatever a method throws leaves with a code from
// the closed set, and a bug leaves as INTERNAL naming only the trace id.

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

/** The ErrorDetail's reason and trace id of `err`. */
function detailOf(err: ConnectError): { reason: string; traceId: string } | undefined {
  const detail = err.findDetails(ErrorDetailSchema)[0];
  return detail === undefined ? undefined : { reason: detail.reason, traceId: detail.traceId };
}

describe("boundaryError", () => {
  it.each([Code.InvalidArgument, Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.ResourceExhausted, Code.DeadlineExceeded, Code.Canceled, Code.Unavailable, Code.Unimplemented])(
    "lets a ConnectError with a code of the closed set through unchanged (code %i)",
    (code) => {
      const err = new ConnectError("as the handler meant it", code);
      expect(boundaryError(err, traceId)).toEqual({ error: err, internal: false });
      expect(boundaryError(err, traceId).error).toBe(err);
    },
  );

  it("keeps the service's own INTERNAL as it is, and says it is internal", () => {
    const err = new ConnectError("internal error: the method is not behind authentication", Code.Internal);
    const { error, internal } = boundaryError(err, traceId);
    expect(error).toBe(err);
    expect(internal).toBe(true);
  });

  it.each([
    { what: "a ConnectError UNKNOWN", err: new ConnectError("db password=hunter2 rejected", Code.Unknown) },
    { what: "a ConnectError FAILED_PRECONDITION", err: new ConnectError("db password=hunter2 rejected", Code.FailedPrecondition) },
    { what: "a ConnectError DATA_LOSS", err: new ConnectError("db password=hunter2 rejected", Code.DataLoss) },
    { what: "a TypeError", err: new TypeError("Cannot read properties of undefined (reading 'hunter2')") },
    { what: "a thrown string", err: "hunter2" },
    { what: "a thrown null", err: null },
  ])("turns $what into INTERNAL naming the trace id, and nothing of the error", ({ err }) => {
    const { error, internal } = boundaryError(err, traceId);
    expect(internal).toBe(true);
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe(`internal error; look for trace id ${traceId} in the service logs`);
    expect(error.message).not.toContain("hunter2");
    expect(detailOf(error)).toEqual({ reason: "INTERNAL", traceId });
    // The original stays attached for the log.
    expect(error.cause).toBe(err);
  });

  it("turns connect-node's ABORTED (the caller hung up) into CANCELED", () => {
    const err = new ConnectError("operation was aborted", Code.Aborted);
    const { error, internal } = boundaryError(err, traceId);
    expect([error.code, internal]).toEqual([Code.Canceled, false]);
    expect(error.cause).toBe(err);
  });

  it("walks the cause chain to the first ConnectError of the closed set", () => {
    const notFound = new ConnectError("run r-1 not found", Code.NotFound);
    const wrapped = new Error("while loading the run", { cause: new Error("in the store", { cause: notFound }) });
    expect(boundaryError(wrapped, traceId)).toEqual({ error: notFound, internal: false });
  });

  it("walks past a ConnectError outside the closed set to a known cause", () => {
    const notFound = new ConnectError("run r-1 not found", Code.NotFound);
    const unknown = new ConnectError("wrapped", Code.Unknown, undefined, undefined, notFound);
    expect(boundaryError(unknown, traceId).error).toBe(notFound);
  });

  it("does not trust an INTERNAL found down the cause chain: the boundary makes its own", () => {
    const nested = new ConnectError("internal: SELECT * FROM runs failed: password=hunter2", Code.Internal);
    const { error, internal } = boundaryError(new Error("outer", { cause: nested }), traceId);
    expect(internal).toBe(true);
    expect(error).not.toBe(nested);
    expect(error.message).not.toContain("hunter2");
    expect(detailOf(error)).toEqual({ reason: "INTERNAL", traceId });
  });

  it("maps a RunCapacityError on the cause chain to RESOURCE_EXHAUSTED", () => {
    const capacity = new RunCapacityError(4, 16);
    const { error, internal } = boundaryError(new Error("starting the run", { cause: capacity }), traceId);
    expect([error.code, internal]).toEqual([Code.ResourceExhausted, false]);
    expect(detailOf(error)?.reason).toBe("SERVER_AT_CAPACITY");
    expect(error.rawMessage).toBe(capacity.message);
  });

  it("maps a RunCapacityError thrown as is to RESOURCE_EXHAUSTED", () => {
    expect(boundaryError(new RunCapacityError(1, 0), traceId).error.code).toBe(Code.ResourceExhausted);
  });

  it("ends on a cyclic cause chain, as INTERNAL", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    const self = new Error("self");
    (self as { cause?: unknown }).cause = self;
    for (const err of [a, self]) {
      const { error, internal } = boundaryError(err, traceId);
      expect([error.code, internal]).toEqual([Code.Internal, true]);
    }
  });

  it("still finds a known error on a cyclic cause chain", () => {
    const a = new Error("a");
    const notFound = new ConnectError("run r-1 not found", Code.NotFound, undefined, undefined, a);
    (a as { cause?: unknown }).cause = new Error("b", { cause: notFound });
    expect(boundaryError(a, traceId).error).toBe(notFound);
  });
});

describe("createErrorBoundary", () => {
  /** A pino logger whose lines the test reads. */
  function capturedLogger() {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    return { logger, lines };
  }

  /** The request's context, with a server span of `traceId` when given (as the trace interceptor sets it). */
  function contextValues(withTraceId?: string) {
    const values = createContextValues();
    if (withTraceId !== undefined) {
      values.set(serverSpanKey, trace.wrapSpanContext({ traceId: withTraceId, spanId: "00f067aa0ba902b7", traceFlags: TraceFlags.SAMPLED }));
    }
    return values;
  }

  function unaryRequest(withTraceId?: string): UnaryRequest {
    return {
      stream: false,
      service: AgentService,
      method: AgentService.method.execute,
      requestMethod: "POST",
      url: "http://127.0.0.1/agent.v1.AgentService/Execute",
      signal: new AbortController().signal,
      header: new Headers(),
      contextValues: contextValues(withTraceId),
      message: create(ExecuteRequestSchema, { input: "What is 2 + 2?" }),
    };
  }

  function streamRequest(): StreamRequest {
    return {
      stream: true,
      service: AgentService,
      method: AgentService.method.stream,
      requestMethod: "POST",
      url: "http://127.0.0.1/agent.v1.AgentService/Stream",
      signal: new AbortController().signal,
      header: new Headers(),
      contextValues: contextValues(),
      message: (async function* () {
        yield create(StreamRequestSchema, { input: "What is 2 + 2?" });
      })(),
    };
  }

  async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }

  it("turns a TypeError thrown before the response into INTERNAL, and logs it in full with the trace id", async () => {
    const { logger, lines } = capturedLogger();
    const bug = new TypeError("Cannot read properties of undefined (reading 'model')");
    const call = createErrorBoundary(logger)(() => Promise.reject(bug));
    const err = await rejection(call(unaryRequest(traceId)));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toContain(traceId);
    expect(err.rawMessage).not.toContain("model");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: "internal error at the RPC boundary",
      trace_id: traceId,
      method: "agent.v1.AgentService/Execute",
      err: { type: "TypeError", message: bug.message },
    });
  });

  it("names a fresh trace id in both the error and the log line when there is no span", async () => {
    const { logger, lines } = capturedLogger();
    const call = createErrorBoundary(logger)(() => Promise.reject(new TypeError("boom")));
    const err = await rejection(call(unaryRequest()));
    const logged = lines[0]?.["trace_id"];
    expect(logged).toMatch(/^[0-9a-f]{32}$/);
    expect(detailOf(err)).toEqual({ reason: "INTERNAL", traceId: logged });
  });

  it("passes an error of the closed set through without logging it", async () => {
    const { logger, lines } = capturedLogger();
    const notFound = new ConnectError("run r-1 not found", Code.NotFound);
    const call = createErrorBoundary(logger)(() => Promise.reject(notFound));
    expect(await rejection(call(unaryRequest(traceId)))).toBe(notFound);
    expect(lines).toEqual([]);
  });

  it("passes a unary response through as it is", async () => {
    const { logger, lines } = capturedLogger();
    const response = { stream: false as const, service: AgentService, method: AgentService.method.execute, header: new Headers(), trailer: new Headers(), message: create(ExecuteResponseSchema, { output: "4" }) };
    const call = createErrorBoundary(logger)(() => Promise.resolve(response));
    expect(await call(unaryRequest())).toBe(response);
    expect(lines).toEqual([]);
  });

  it("turns an error in the middle of a response stream into INTERNAL, after the messages sent before it", async () => {
    const { logger, lines } = capturedLogger();
    const first = create(StreamResponseSchema);
    const response: StreamResponse = {
      stream: true,
      service: AgentService,
      method: AgentService.method.stream,
      header: new Headers(),
      trailer: new Headers(),
      message: (async function* () {
        yield first;
        throw new TypeError("Cannot read properties of undefined (reading 'delta')");
      })(),
    };
    const call = createErrorBoundary(logger)(() => Promise.resolve(response));
    const res = await call(streamRequest());
    expect(res.stream).toBe(true);
    const received: unknown[] = [];
    const err = await rejection(
      (async () => {
        for await (const message of (res as StreamResponse).message) {
          received.push(message);
        }
      })(),
    );
    expect(received).toEqual([first]);
    expect(err.code).toBe(Code.Internal);
    expect(detailOf(err)?.reason).toBe("INTERNAL");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "internal error at the RPC boundary", method: "agent.v1.AgentService/Stream", err: { type: "TypeError" } });
  });

  it("maps a known error in the middle of a stream without logging it", async () => {
    const { logger, lines } = capturedLogger();
    const response: StreamResponse = {
      stream: true,
      service: AgentService,
      method: AgentService.method.stream,
      header: new Headers(),
      trailer: new Headers(),
      // A connection that closed under the stream reaches the handler as ABORTED.
      message: (async function* () {
        yield create(StreamResponseSchema);
        throw new ConnectError("operation was aborted", Code.Aborted);
      })(),
    };
    const call = createErrorBoundary(logger)(() => Promise.resolve(response));
    const res = (await call(streamRequest())) as StreamResponse;
    const err = await rejection(
      (async () => {
        for await (const _ of res.message) {
          // drain
        }
      })(),
    );
    expect(err.code).toBe(Code.Canceled);
    expect(lines).toEqual([]);
  });
});
