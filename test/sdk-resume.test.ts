import { toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { once } from "node:events";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AgentServiceError,
  Code,
  RunStatus,
  createAgentClient,
  type AgentClient,
  type AgentProtocol,
  type StreamResponse,
} from "../client/index.js";
import { StreamResponseSchema } from "../gen/agent/v1/agent_service_pb.js";
import { startBreakableProxy, type BreakableProxy } from "./support/breakable-proxy.js";
import { createCallRecorder, runIdOf, seqsUpTo, textOf } from "./support/call-recorder.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The SDK's stream resume through the real service, over real HTTP, with the
// connection cut by a TCP proxy between the SDK and the service. The model
// streams one word per 5 ms: a cut after event 40 of a 200-word answer leaves
// the run at least 0.8 s of model output to go, in this same process, so the
// cut always lands mid-run.
const answerWords = 200;
const longTask = `#words ${answerWords}`;

let svc: TestService;
let proxy: BreakableProxy;
let direct: AgentClient;
/** The events of the long task on a connection nobody cut. */
let uncut: StreamResponse[];
const clients: AgentClient[] = [];

beforeAll(async () => {
  svc = await startTestService({ AGENT_CACHE: "off" }, { simulator: { chunkDelayMs: 5 } });
  const { hostname, port } = new URL(svc.url);
  proxy = await startBreakableProxy({ host: hostname, port: Number(port) });
  direct = createAgentClient({ baseUrl: svc.url, protocol: "grpc", timeoutMs: 20_000 });
  uncut = await collect(direct.stream(longTask, { textDeltas: "live", bypassCache: true }));
});
afterEach(() => {
  clients.splice(0).forEach((client) => client.close());
});
afterAll(async () => {
  direct.close();
  await proxy.close();
  await svc.close();
});

async function collect(events: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const seen: StreamResponse[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** An SDK client through the proxy, with its attempts recorded. */
function proxiedClient(protocol: AgentProtocol, httpVersion: "1.1" | "2") {
  const calls = createCallRecorder();
  const client = createAgentClient({ baseUrl: proxy.url, protocol, httpVersion, timeoutMs: 20_000, interceptors: [calls.interceptor] });
  clients.push(client);
  return { client, calls };
}

const protocols: { protocol: AgentProtocol; httpVersion: "1.1" | "2" }[] = [
  { protocol: "connect", httpVersion: "2" },
  { protocol: "connect", httpVersion: "1.1" },
  { protocol: "grpc", httpVersion: "2" },
  { protocol: "grpc-web", httpVersion: "2" },
  { protocol: "grpc-web", httpVersion: "1.1" },
];

describe.each(protocols)("a stream over $protocol (HTTP/$httpVersion) whose connection is cut mid-run", ({ protocol, httpVersion }) => {
  it.each([
    { how: "closed", reset: false },
    { how: "reset", reset: true },
  ])("continues through WatchRun when the connection is $how: every event once, the model not called again", async ({ reset }) => {
    const { client, calls } = proxiedClient(protocol, httpVersion);
    svc.simulator.resetStats();
    const events: StreamResponse[] = [];
    let cutAt = Infinity;
    for await (const event of client.stream(longTask, { textDeltas: "live", bypassCache: true })) {
      events.push(event);
      if (events.length === 40) {
        cutAt = Date.now();
        proxy.cut({ reset });
      }
    }
    // The cut landed mid-run: the run ended after it, so the resume followed it live.
    const ended = (await direct.getRun(runIdOf(events))).run?.endedAt;
    expect(ended === undefined ? 0 : timestampMs(ended)).toBeGreaterThan(cutAt);
    expect(events.map((event) => event.seq)).toEqual(seqsUpTo(uncut.length));
    expect(textOf(events)).toBe(textOf(uncut));
    expect(events.at(-1)?.event.case).toBe("runCompleted");
    expect(calls.methods).toEqual(["Stream", "WatchRun"]);
    // One model turn, served once: the resumed stream followed the same run.
    expect(svc.simulator.stats().requests).toBe(uncut.filter((event) => event.event.case === "modelCallFinished").length);
  });
});

describe("stream resume", () => {
  it("sits below the text buffering: a cut after runStarted still gives the whole answer once", async () => {
    const { client, calls } = proxiedClient("connect", "2");
    svc.simulator.resetStats();
    const events: StreamResponse[] = [];
    // Buffered (the default): the deltas come only when the turn ends, so the cut comes at runStarted.
    for await (const event of client.stream(longTask, { bypassCache: true })) {
      events.push(event);
      if (event.event.case === "runStarted") proxy.cut();
    }
    expect(events.map((event) => event.seq)).toEqual(seqsUpTo(uncut.length));
    expect(textOf(events)).toBe(textOf(uncut));
    expect(calls.methods).toEqual(["Stream", "WatchRun"]);
    expect(svc.simulator.stats().requests).toBe(1);
  });

  it.each(protocols.slice(0, 3))(
    "repeats the Stream with its idempotency key when the cut comes before runStarted, over $protocol (HTTP/$httpVersion)",
    async ({ protocol, httpVersion }) => {
      const { client, calls } = proxiedClient(protocol, httpVersion);
      // An open connection first, so that holding the answers holds only the Stream's.
      await client.health();
      svc.simulator.resetStats();
      proxy.holdResponses();
      const modelCalled = once(svc.simulator.events, "request");
      const reading = collect(client.stream(longTask, { textDeltas: "live", bypassCache: true }));
      // The run has started and its runStarted is held in the proxy: the SDK knows no run id.
      await modelCalled;
      proxy.cut();
      const events = await reading;
      expect(events.map((event) => event.seq)).toEqual(seqsUpTo(uncut.length));
      expect(textOf(events)).toBe(textOf(uncut));
      expect(calls.methods).toEqual(["Health", "Stream", "Stream"]);
      expect(svc.simulator.stats().requests).toBe(1);
    },
  );
});

describe("watchRun", () => {
  it("replays a finished run's events, all of them or those after a seq", async () => {
    const streamed = await collect(direct.stream("What is 17 * 23?", { textDeltas: "live" }));
    const runId = runIdOf(streamed);
    const asJson = (events: StreamResponse[]) => events.map((event) => toJson(StreamResponseSchema, event));
    expect(asJson(await collect(direct.watchRun(runId, { textDeltas: "live" })))).toEqual(asJson(streamed));
    expect(asJson(await collect(direct.watchRun(runId, { afterSeq: 3, textDeltas: "live" })))).toEqual(asJson(streamed.slice(3)));
  });

  it("follows a running run to its end, and resumes a cut connection from the last seq it yielded", async () => {
    const { client, calls } = proxiedClient("grpc", "2");
    const streaming = direct.stream(longTask, { textDeltas: "live", bypassCache: true })[Symbol.asyncIterator]();
    const first = await streaming.next();
    const runId = first.done === true ? "" : runIdOf([first.value]);
    const watched: StreamResponse[] = [];
    const following = (async () => {
      for await (const event of client.watchRun(runId, { textDeltas: "live" })) {
        watched.push(event);
        if (watched.length === 30) proxy.cut();
      }
    })();
    const streamed = [first.done === true ? [] : [first.value], await collect({ [Symbol.asyncIterator]: () => streaming })].flat();
    await following;
    expect(watched.map((event) => event.seq)).toEqual(seqsUpTo(streamed.length));
    expect(textOf(watched)).toBe(textOf(streamed));
    expect(calls.methods).toEqual(["WatchRun", "WatchRun"]);
  });

  it("is NOT_FOUND (RUN_NOT_FOUND) for a run that does not exist", async () => {
    const err = await collect(direct.watchRun("no-such-run")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentServiceError);
    expect((err as AgentServiceError).code).toBe(Code.NotFound);
    expect((err as AgentServiceError).reason).toBe("RUN_NOT_FOUND");
  });
});

describe("cancelRun", () => {
  it("ends a running stream with CANCELED, without a resume, and answers with the canceled record", async () => {
    const { client, calls } = proxiedClient("connect", "2");
    svc.simulator.resetStats();
    const modelAborted = once(svc.simulator.events, "aborted");
    let canceled: ReturnType<AgentClient["cancelRun"]> | undefined;
    const seen: StreamResponse[] = [];
    const err = await (async () => {
      for await (const event of client.stream(longTask, { textDeltas: "live", bypassCache: true })) {
        seen.push(event);
        if (event.event.case === "runStarted") canceled = client.cancelRun(event.event.value.runId);
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentServiceError);
    expect((err as AgentServiceError).code).toBe(Code.Canceled);
    expect((err as AgentServiceError).runId).toBe(runIdOf(seen));
    const record = await canceled;
    expect(record?.run?.status).toBe(RunStatus.CANCELED);
    expect(record?.run?.runId).toBe(runIdOf(seen));
    expect(seen.at(-1)?.event.case).not.toBe("runCompleted");
    // The service's CANCELED is the run's end, not a broken connection: no WatchRun after it.
    expect(calls.methods).toEqual(["Stream", "CancelRun"]);
    await modelAborted;
    expect(svc.simulator.stats().requests).toBe(1);
  });
});

describe("getThread", () => {
  it("pages through the runs of one conversation, oldest first", async () => {
    const threadId = `thread-${Date.now()}-${Math.random()}`;
    const first = await direct.execute("What is 17 * 23?", { threadId });
    const second = await direct.execute("What is 2 + 2?", { threadId });
    const page = await direct.getThread(threadId, { pageSize: 1 });
    expect(page.runs.map((run) => run.runId)).toEqual([first.runId]);
    expect(page.runs[0]?.threadId).toBe(threadId);
    const next = await direct.getThread(threadId, { pageSize: 1, pageToken: page.nextPageToken });
    expect(next.runs.map((run) => run.runId)).toEqual([second.runId]);
    const err = await direct.getThread(`${threadId}-other`).catch((e: unknown) => e);
    expect((err as AgentServiceError).code).toBe(Code.NotFound);
  });
});
