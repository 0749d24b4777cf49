import type { ConnectError, Interceptor, Transport } from "@connectrpc/connect";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as node from "./index.js";
import {
  AgentServiceError,
  type CacheTierState,
  type CanaryMetric,
  type CircuitState,
  Code,
  createAgentClient,
  createClientTraceInterceptor,
  type ExperimentStatus,
  isAgentServiceError,
  type PromptKind,
  type PromptRole,
  type RunStatus,
  type ServingStatus,
  StopReason,
  type ToolCallStatus,
  type AgentClient,
  type AgentClientOptions,
  type AgentProtocol,
  type CallOptions,
  type CancelRunResponse,
  type ExecuteResponse,
  type FieldViolation,
  type GetRunResponse,
  type HealthResponse,
  type RunOptions,
  type StreamOptions,
  type StreamResponse,
  type WatchRunOptions,
} from "./index.js";
import * as tracing from "./tracing.js";
import * as web from "./web.js";

// The SDK's public types, pinned: a change here is a change for every caller (and for the
// package's semver). Checked by the typecheck (tsc covers this file); the runtime assertions pin
// what each entry exports.

/** The names of an enum's members, without TypeScript's reverse mapping. */
type MemberNames<E> = keyof E;

describe("the client's calls", () => {
  it("creates a client from its options (Node.js and browser)", () => {
    expectTypeOf(createAgentClient).parameters.toEqualTypeOf<[AgentClientOptions]>();
    expectTypeOf(createAgentClient).returns.toEqualTypeOf<AgentClient>();
    expectTypeOf(web.createAgentClient).parameters.toEqualTypeOf<[web.WebAgentClientOptions]>();
    expectTypeOf(web.createAgentClient).returns.toEqualTypeOf<AgentClient>();
    expectTypeOf<web.AgentClient>().toEqualTypeOf<AgentClient>();
  });

  it("runs: execute answers the run, stream and watchRun yield its events", () => {
    expectTypeOf<AgentClient["execute"]>().toEqualTypeOf<(input: string, options?: RunOptions) => Promise<ExecuteResponse>>();
    expectTypeOf<AgentClient["stream"]>().toEqualTypeOf<(input: string, options?: StreamOptions) => AsyncIterable<StreamResponse>>();
    expectTypeOf<AgentClient["watchRun"]>().toEqualTypeOf<(runId: string, options?: WatchRunOptions) => AsyncIterable<StreamResponse>>();
    expectTypeOf<AgentClient["cancelRun"]>().toEqualTypeOf<(runId: string, options?: CallOptions) => Promise<CancelRunResponse>>();
    expectTypeOf<AgentClient["getRun"]>().returns.toEqualTypeOf<Promise<GetRunResponse>>();
    expectTypeOf<AgentClient["health"]>().returns.toEqualTypeOf<Promise<HealthResponse>>();
    expectTypeOf<AgentClient["close"]>().toEqualTypeOf<() => void>();
  });

  it("takes these options per call and per run", () => {
    expectTypeOf<CallOptions>().toEqualTypeOf<{
      readonly timeoutMs?: number;
      readonly signal?: AbortSignal;
      readonly headers?: node.HeaderValues;
      readonly retries?: number;
    }>();
    expectTypeOf<Omit<RunOptions, keyof CallOptions>>().toEqualTypeOf<{
      readonly maxIterations?: number;
      readonly maxExecutionTimeMs?: number;
      readonly bypassCache?: boolean;
      readonly maxCostUsd?: number;
      readonly idempotencyKey?: string;
      readonly threadId?: string;
      readonly prompt?: string;
      readonly promptVersion?: string;
      readonly variables?: Readonly<Record<string, string>>;
    }>();
    expectTypeOf<StreamOptions["textDeltas"]>().toEqualTypeOf<"buffered" | "live" | undefined>();
  });

  it("is configured by these client options, the browser's without Node.js-only ones", () => {
    expectTypeOf<AgentProtocol>().toEqualTypeOf<"connect" | "grpc" | "grpc-web">();
    expectTypeOf<web.WebProtocol>().toEqualTypeOf<"connect" | "grpc-web">();
    expectTypeOf<keyof AgentClientOptions>().toEqualTypeOf<
      "baseUrl" | "headers" | "token" | "timeoutMs" | "retries" | "interceptors" | "transport" | "protocol" | "httpVersion" | "tracing"
    >();
    expectTypeOf<keyof web.WebAgentClientOptions>().toEqualTypeOf<
      "baseUrl" | "headers" | "token" | "timeoutMs" | "retries" | "interceptors" | "transport" | "protocol" | "fetch"
    >();
    expectTypeOf<AgentClientOptions["token"]>().toEqualTypeOf<string | (() => string | Promise<string>) | undefined>();
    expectTypeOf<AgentClientOptions["transport"]>().toEqualTypeOf<Transport | undefined>();
    expectTypeOf<AgentClientOptions["interceptors"]>().toEqualTypeOf<readonly Interceptor[] | undefined>();
    expectTypeOf(createClientTraceInterceptor).toEqualTypeOf<(protocol: string) => Interceptor>();
    expectTypeOf(tracing.createClientTraceInterceptor).toEqualTypeOf<(protocol: string) => Interceptor>();
  });
});

describe("the error type", () => {
  it("is a ConnectError with the service's detail read out", () => {
    expectTypeOf<AgentServiceError>().toExtend<ConnectError>();
    expectTypeOf<AgentServiceError["code"]>().toEqualTypeOf<Code>();
    expectTypeOf<AgentServiceError["reason"]>().toEqualTypeOf<string>();
    expectTypeOf<AgentServiceError["runId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<AgentServiceError["traceId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<AgentServiceError["fieldViolations"]>().toEqualTypeOf<readonly FieldViolation[]>();
    expectTypeOf<AgentServiceError["retryAfterMs"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf(isAgentServiceError).guards.toEqualTypeOf<AgentServiceError>();
    expectTypeOf(web.AgentServiceError).toEqualTypeOf(AgentServiceError);
  });
});

describe("the exported enums", () => {
  it("have these members", () => {
    expectTypeOf<MemberNames<typeof StopReason>>().toEqualTypeOf<
      "UNSPECIFIED" | "FINAL_ANSWER" | "MAX_ITERATIONS" | "TIME_LIMIT" | "CANCELED" | "ERROR" | "COST_LIMIT"
    >();
    expectTypeOf<MemberNames<typeof ToolCallStatus>>().toEqualTypeOf<"UNSPECIFIED" | "OK" | "UNKNOWN_TOOL" | "INVALID_ARGUMENTS" | "TIMEOUT" | "FAILED">();
    expectTypeOf<MemberNames<typeof RunStatus>>().toEqualTypeOf<"UNSPECIFIED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELED">();
    expectTypeOf<MemberNames<typeof ServingStatus>>().toEqualTypeOf<"UNSPECIFIED" | "SERVING" | "NOT_SERVING">();
    expectTypeOf<MemberNames<typeof CircuitState>>().toEqualTypeOf<"UNSPECIFIED" | "CLOSED" | "OPEN" | "HALF_OPEN">();
    expectTypeOf<MemberNames<typeof CacheTierState>>().toEqualTypeOf<"UNSPECIFIED" | "DISABLED" | "READY" | "DEGRADED">();
    expectTypeOf<MemberNames<typeof PromptKind>>().toEqualTypeOf<"UNSPECIFIED" | "AGENT" | "CHAIN">();
    expectTypeOf<MemberNames<typeof PromptRole>>().toEqualTypeOf<"UNSPECIFIED" | "SYSTEM" | "HUMAN" | "AI">();
    expectTypeOf<MemberNames<typeof ExperimentStatus>>().toEqualTypeOf<"UNSPECIFIED" | "RUNNING" | "STOPPED" | "ROLLED_BACK" | "PROMOTED">();
    expectTypeOf<MemberNames<typeof CanaryMetric>>().toEqualTypeOf<"UNSPECIFIED" | "SUCCESS_RATE" | "FEEDBACK" | "P95_LATENCY" | "COST_PER_RUN">();
    expectTypeOf(web.StopReason).toEqualTypeOf(StopReason);
    expectTypeOf(web.Code).toEqualTypeOf(Code);
  });
});

describe("the entries' runtime exports", () => {
  const shared = [
    "AgentServiceError",
    "CacheTierState",
    "CanaryMetric",
    "CircuitState",
    "Code",
    "ExperimentStatus",
    "PromptKind",
    "PromptRole",
    "RunStatus",
    "ServingStatus",
    "StopReason",
    "ToolCallStatus",
    "createAgentClient",
    "isAgentServiceError",
  ];

  it("are the same in Node.js and the browser, but for Node.js's tracing (the browser's is its own entry)", () => {
    expect(Object.keys(node).sort()).toEqual([...shared, "createClientTraceInterceptor"].sort());
    expect(Object.keys(web).sort()).toEqual(shared.sort());
    expect(Object.keys(tracing)).toEqual(["createClientTraceInterceptor"]);
    expect(web.StopReason).toBe(node.StopReason);
    expect(web.AgentServiceError).toBe(node.AgentServiceError);
  });

  it("refuses gRPC in the browser client with a message that says what to use", () => {
    expect(() => web.createAgentClient({ baseUrl: "https://agents.example.com", protocol: "grpc" as web.WebProtocol })).toThrow(
      /protocol "grpc" cannot be spoken from a browser: use "connect" or "grpc-web"/,
    );
  });
});
