import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { GetThreadRequestSchema, RunService, RunStatus, type GetThreadRequest } from "../../gen/agent/v1/run_service_pb.js";
import { createRunRecorder, type RunRecorder } from "../runs/run-recorder.js";
import { openStore, type RunRow, type RunStore } from "../store/index.js";
import { completedRun, runningRun, uniqueId } from "../store/testing/run-fixtures.js";
import { storeTemplate } from "../../test/support/store-template.js";
import { createGetThreadHandler } from "./get-thread.js";

const logger = pino({ level: "silent" });
const principalHeader = "x-test-principal";

/** A context as the server would create it for GetThread, from the principal given. */
function contextOf(principal: string): HandlerContext {
  return createHandlerContext({
    service: RunService,
    method: RunService.method.getThread,
    protocolName: "connect",
    requestMethod: "POST",
    url: "http://127.0.0.1/agent.v1.RunService/GetThread",
    requestHeader: { [principalHeader]: principal },
  });
}

const principalOf = (ctx: HandlerContext) => ctx.requestHeader.get(principalHeader) ?? "anonymous";

const request = (fields: Partial<Pick<GetThreadRequest, "threadId" | "pageSize" | "pageToken">>) => create(GetThreadRequestSchema, fields);

/** The error a call rejected with, as a ConnectError with its detail. */
async function failure(call: Promise<unknown>) {
  const err = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const connectError = err as ConnectError;
  return { code: connectError.code, message: connectError.rawMessage, detail: connectError.findDetails(ErrorDetailSchema)[0] };
}

let clock = Date.UTC(2031, 4, 6);

/** Runs of one thread, started a second apart in the order given. */
function threadRuns(principal: string, threadId: string, count: number, fields: (index: number) => Partial<RunRow> = () => ({})): RunRow[] {
  return Array.from({ length: count }, (_, index) => {
    clock += 1_000;
    return completedRun({ runId: uniqueId(`run${index}`), principal, threadId, startedAt: new Date(clock), endedAt: new Date(clock + 1), ...fields(index) });
  });
}

describe("GetThread", () => {
  let store: RunStore;
  let recorder: RunRecorder;
  let getThread: ReturnType<typeof createGetThreadHandler>;

  beforeAll(async () => {
    store = await openStore({ dataDir: "memory://", pgliteTemplate: storeTemplate() });
    recorder = createRunRecorder({ store, logger });
    getThread = createGetThreadHandler({ store, recorder, logger, principalOf });
  });
  afterAll(async () => {
    await recorder.close(5_000);
    await store.close();
  });

  it("gives the thread's runs oldest first, of every status, without steps", async () => {
    const principal = uniqueId("alice");
    const threadId = uniqueId("thread");
    const [completed, failed, running] = threadRuns(principal, threadId, 3);
    const runs = [
      completed,
      failed && { ...failed, status: "failed" as const, output: "", errorCode: "MODEL_UNAVAILABLE", result: undefined },
      running && runningRun({ runId: running.runId, principal, threadId, startedAt: running.startedAt }),
    ].flatMap((run) => run ?? []);
    // Written newest first: the order is the store's, not the write's.
    await store.write({ runs: [...runs].reverse(), events: [] });

    const response = await getThread(request({ threadId }), contextOf(principal));
    expect(response.runs.map((run) => [run.runId, run.status, run.threadId, run.principal])).toEqual([
      [runs[0]?.runId, RunStatus.COMPLETED, threadId, principal],
      [runs[1]?.runId, RunStatus.FAILED, threadId, principal],
      [runs[2]?.runId, RunStatus.RUNNING, threadId, principal],
    ]);
    expect(response.runs[0]).toMatchObject({ input: completed?.input, output: completed?.output, model: completed?.model, steps: [] });
    expect(response.nextPageToken).toBe("");
  });

  it("pages forward with next_page_token until the last page", async () => {
    const principal = uniqueId("alice");
    const threadId = uniqueId("thread");
    const runs = threadRuns(principal, threadId, 5);
    await store.write({ runs, events: [] });

    const pages: string[][] = [];
    let pageToken = "";
    do {
      const response = await getThread(request({ threadId, pageSize: 2, pageToken }), contextOf(principal));
      pages.push(response.runs.map((run) => run.runId));
      pageToken = response.nextPageToken;
    } while (pageToken !== "");
    const ids = runs.map((run) => run.runId);
    expect(pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
  });

  it("sends 50 runs per page when page_size is 0", async () => {
    const principal = uniqueId("alice");
    const threadId = uniqueId("thread");
    await store.write({ runs: threadRuns(principal, threadId, 51), events: [] });
    const response = await getThread(request({ threadId }), contextOf(principal));
    expect(response.runs).toHaveLength(50);
    expect(response.nextPageToken).not.toBe("");
  });

  it("sees a run this replica recorded a moment ago", async () => {
    const principal = uniqueId("alice");
    const threadId = uniqueId("thread");
    const runs = threadRuns(principal, threadId, 1);
    runs.forEach((run) => recorder.run(run));
    const response = await getThread(request({ threadId }), contextOf(principal));
    expect(response.runs.map((r) => r.runId)).toEqual(runs.map((run) => run.runId));
  });

  it("reads the store anyway when the recorder cannot flush in time", async () => {
    const principal = uniqueId("alice");
    const threadId = uniqueId("thread");
    const runs = threadRuns(principal, threadId, 1);
    await store.write({ runs, events: [] });
    // A recorder whose store never answers a write: its flush never resolves.
    const stuck = createRunRecorder({ store: { ...store, write: () => new Promise<void>(() => undefined) }, logger });
    stuck.run(completedRun({ runId: uniqueId("queued") }));
    const handler = createGetThreadHandler({ store, recorder: stuck, logger, principalOf, flushWaitMs: 20 });
    const response = await handler(request({ threadId }), contextOf(principal));
    expect(response.runs.map((r) => r.runId)).toEqual(runs.map((run) => run.runId));
    await stuck.close(0);
  });

  describe("NOT_FOUND", () => {
    it("for a thread with no runs", async () => {
      const { code, detail, message } = await failure(getThread(request({ threadId: "never-used" }), contextOf(uniqueId("alice"))));
      expect(code).toBe(Code.NotFound);
      expect(detail?.reason).toBe("THREAD_NOT_FOUND");
      expect(message).toContain('"never-used"');
    });

    it("for another principal's thread of the same id", async () => {
      const threadId = uniqueId("thread");
      await store.write({ runs: threadRuns(uniqueId("alice"), threadId, 1), events: [] });
      const { code, detail } = await failure(getThread(request({ threadId }), contextOf(uniqueId("bob"))));
      expect(code).toBe(Code.NotFound);
      expect(detail?.reason).toBe("THREAD_NOT_FOUND");
    });

    it("echoes at most 64 characters of the id", async () => {
      const threadId = `${"x".repeat(64)}${"Z".repeat(1_000)}`;
      const { message } = await failure(getThread(request({ threadId }), contextOf("alice")));
      expect(message).toContain(`"${"x".repeat(64)}"`);
      expect(message).not.toContain("Z");
    });
  });

  describe("INVALID_ARGUMENT", () => {
    it.each([
      ["an empty thread_id", { threadId: "" }, "thread_id"],
      ["a blank thread_id", { threadId: "  " }, "thread_id"],
      ["page_size over 200", { threadId: "t", pageSize: 201 }, "page_size"],
      ["a page_token that is not base64url JSON", { threadId: "t", pageToken: "not a token!" }, "page_token"],
      ["a page_token of another shape", { threadId: "t", pageToken: Buffer.from(JSON.stringify({ a: 1 })).toString("base64url") }, "page_token"],
      ["a page_token out of time's range", { threadId: "t", pageToken: Buffer.from(JSON.stringify([1e20, "r", "f"])).toString("base64url") }, "page_token"],
    ])("for %s, naming the field", async (_case, fields, field) => {
      const { code, detail } = await failure(getThread(request(fields), contextOf("alice")));
      expect(code).toBe(Code.InvalidArgument);
      expect(detail?.reason).toBe("INVALID_REQUEST");
      expect(detail?.fieldViolations.map((v) => v.field)).toEqual([field]);
    });

    it("accepts page_size 200", async () => {
      const principal = uniqueId("alice");
      const threadId = uniqueId("thread");
      await store.write({ runs: threadRuns(principal, threadId, 1), events: [] });
      await expect(getThread(request({ threadId, pageSize: 200 }), contextOf(principal))).resolves.toMatchObject({ runs: [expect.anything()] });
    });

    describe.each([
      ["another thread", (principal: string) => ({ principal, threadId: uniqueId("other-thread") })],
      ["the same thread id of another principal", (_principal: string, threadId: string) => ({ principal: uniqueId("bob"), threadId })],
    ])("for a page_token of %s", (_case, other) => {
      it("rejects it as page_token", async () => {
        const principal = uniqueId("alice");
        const threadId = uniqueId("thread");
        await store.write({ runs: threadRuns(principal, threadId, 3), events: [] });
        const { nextPageToken } = await getThread(request({ threadId, pageSize: 1 }), contextOf(principal));
        expect(nextPageToken).not.toBe("");

        const elsewhere = other(principal, threadId);
        await store.write({ runs: threadRuns(elsewhere.principal, elsewhere.threadId, 1), events: [] });
        const { code, detail } = await failure(getThread(request({ threadId: elsewhere.threadId, pageToken: nextPageToken }), contextOf(elsewhere.principal)));
        expect(code).toBe(Code.InvalidArgument);
        expect(detail?.fieldViolations.map((v) => v.field)).toEqual(["page_token"]);
      });
    });
  });

  it("is UNAVAILABLE with RUN_STORE_UNAVAILABLE when the store cannot be read", async () => {
    const down: RunStore = { ...store, listThreadRuns: () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })) };
    const handler = createGetThreadHandler({ store: down, recorder, logger, principalOf });
    const { code, detail } = await failure(handler(request({ threadId: "t" }), contextOf("alice")));
    expect(code).toBe(Code.Unavailable);
    expect(detail?.reason).toBe("RUN_STORE_UNAVAILABLE");
    expect(detail?.retryAfter).toMatchObject({ seconds: 1n, nanos: 0 });
  });
});
