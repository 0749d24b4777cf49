import * as http2 from "node:http2";
import type { Duplex } from "node:stream";
import type { FuzzRequest } from "./fuzz-request.js";
import { judge, type Violation } from "./fuzz-verdict.js";
import { exchange, type Exchange } from "./raw-exchange.js";
import type { RpcAnswer } from "./rpc-answer.js";

/** Options for {@link runBatch}. */
export interface BatchOptions {
  readonly baseUrl: string;
  /** Time each request's whole answer may take. */
  readonly boundMs: number;
  /** Time an open-ended stream is read before the client stops. */
  readonly openStreamWindowMs: number;
  /** Time the Health RPC sent alongside the batch may take. */
  readonly healthBoundMs: number;
}

/** One request of a batch and how it fared. */
export interface BatchEntry {
  readonly request: FuzzRequest;
  readonly exchange: Exchange;
  /** The status read from the answer; undefined when none came. */
  readonly answer: RpcAnswer | undefined;
  readonly violations: readonly Violation[];
}

/** A batch's results and how the Health RPC sent meanwhile fared. */
export interface BatchResult {
  readonly entries: readonly BatchEntry[];
  /** Undefined when Health answered well within its bound; else what went wrong. */
  readonly healthProblem: string | undefined;
  readonly healthMs: number;
}

const healthRequest = {
  httpVersion: "1.1",
  method: "POST",
  path: "/agent.v1.AgentService/Health",
  headers: { "content-type": "application/json", "connect-protocol-version": "1" },
  body: new TextEncoder().encode("{}"),
  ending: "end",
} as const;

/** Sends a valid Health RPC over a fresh connection; describes the problem if it is not a fast 200. */
async function probeHealth(options: BatchOptions): Promise<{ problem: string | undefined; ms: number }> {
  const result = await exchange(healthRequest, { baseUrl: options.baseUrl, boundMs: options.healthBoundMs });
  if (result.kind !== "response") {
    return { problem: `Health did not answer: ${result.kind === "reset" ? `reset ${result.resetCode}` : result.reason}`, ms: result.elapsedMs };
  }
  if (result.response.status !== 200 || result.response.end !== "complete") {
    return { problem: `Health answered HTTP ${result.response.status} (${result.response.end})`, ms: result.elapsedMs };
  }
  return { problem: undefined, ms: result.elapsedMs };
}

/**
 * Sends every request of the batch at once, HTTP/2 ones on one shared
 * session, and a Health RPC while they are in flight; judges each answer.
 */
export async function runBatch(requests: readonly FuzzRequest[], options: BatchOptions): Promise<BatchResult> {
  const session = requests.some((r) => r.httpVersion === "2") ? http2.connect(options.baseUrl) : undefined;
  let socket: Duplex | undefined;
  session?.once("connect", (_session, connected) => (socket = connected));
  // A session the server tears down fails its streams, which report it; the session's own error is noise.
  session?.on("error", () => undefined);
  try {
    const exchanges = requests.map((request) =>
      exchange(request, {
        baseUrl: options.baseUrl,
        boundMs: options.boundMs,
        ...(session === undefined ? {} : { session }),
        ...(request.openEnded ? { cutAfterMs: options.openStreamWindowMs } : {}),
      }),
    );
    const [health, ...results] = await Promise.all([probeHealth(options), ...exchanges]);
    const entries = results.map((result, i) => {
      const request = requests[i] as FuzzRequest;
      return { request, exchange: result, ...judge(request, result) };
    });
    return { entries, healthProblem: health.problem, healthMs: health.ms };
  } finally {
    if (session !== undefined && !session.closed) {
      const closed = new Promise((resolve) => session.once("close", resolve));
      session.close();
      // A graceful close waits for the server to close the connection, which
      // it does not while it holds a stream whose request body it never read
      // (see the report of the fuzz test): past a moment, cut the socket.
      const timer = setTimeout(() => socket?.destroy(), 500);
      await closed;
      clearTimeout(timer);
    }
  }
}
