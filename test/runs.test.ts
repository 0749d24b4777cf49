import { toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAgentClient, isAgentServiceError, type AgentClient } from "../client/index.js";
import { StreamResponseSchema, type StreamResponse } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { StopReason } from "../gen/agent/v1/run_pb.js";
import { RunStatus } from "../gen/agent/v1/run_service_pb.js";
import { Code } from "@connectrpc/connect";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { waitFor } from "./support/chaos/wait-for.js";
import { createTestDatabase, viaPort, type TestDatabase } from "./support/postgres.js";
import { startTestService, type TestService } from "./support/test-service.js";

const started: TestService[] = [];
const clients: AgentClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((client) => client.close());
  await Promise.all(started.splice(0).map((svc) => svc.close()));
});

async function service(env: Record<string, string>): Promise<{ svc: TestService; client: AgentClient }> {
  const svc = await startTestService({ AGENT_CACHE: "off", ...env });
  started.push(svc);
  const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc" });
  clients.push(client);
  return { svc, client };
}

async function stop(svc: TestService): Promise<void> {
  started.splice(started.indexOf(svc), 1);
  await svc.close();
}

async function streamed(client: AgentClient, input: string): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const event of client.stream(input, { textDeltas: "live" })) {
    events.push(event);
  }
  return events;
}

const asJson = (events: readonly StreamResponse[]) => events.map((event) => toJson(StreamResponseSchema, event));

/** Runs a stream and an Execute, restarts the service on the same store, and reads both runs back. */
async function survivesRestart(env: Record<string, string>): Promise<void> {
  const first = await service(env);
  const events = await streamed(first.client, "What is 17 * 23?");
  const executed = await first.client.execute("Hello!");
  expect(events.map((e) => e.seq)).toEqual(events.map((_, index) => index + 1));
  const runId = events[0]?.event.case === "runStarted" ? events[0].event.value.runId : "";
  await stop(first.svc);

  const second = await service(env);
  const run = await second.client.getRun(runId, { includeEvents: true });
  expect(run.run).toMatchObject({ runId, status: RunStatus.COMPLETED, stopReason: StopReason.FINAL_ANSWER, principal: "dev", input: "What is 17 * 23?" });
  expect(run.run?.output).toContain("391");
  expect(run.run?.startedAt).toBeDefined();
  expect(run.run?.endedAt).toBeDefined();
  expect(run.run?.steps.length).toBeGreaterThanOrEqual(3);
  expect(asJson(run.events.map((e) => e.event).filter((e) => e !== undefined))).toEqual(asJson(events));
  expect(run.events.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  expect(run.moreEvents).toBe(false);

  const summary = await second.client.getRun(executed.runId);
  expect(summary.run).toMatchObject({
    status: RunStatus.COMPLETED,
    output: executed.output,
    traceId: executed.traceId,
    iterations: executed.iterations,
    model: executed.model,
    modelsUsed: [executed.model],
    promptVersion: executed.promptVersion,
    costUsd: executed.costUsd,
  });
  expect(executed.costUsd).toBeGreaterThan(0);
  expect(summary.run?.steps).toEqual(executed.steps);
  expect(summary.run?.usage).toMatchObject({ inputTokens: executed.usage?.inputTokens, outputTokens: executed.usage?.outputTokens });
  expect(summary.events).toEqual([]);
}

describe("runs are durable records", () => {
  let dir: string;
  let db: TestDatabase;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "agent-runs-"));
    db = await createTestDatabase("agent_runs_test");
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it("with no configuration (embedded PGlite on disk), a run and every event it streamed survive a restart", async () => {
    await survivesRestart({ AGENT_DATA_DIR: join(dir, "data") });
  });

  it("on PostgreSQL (DATABASE_URL), a run and every event it streamed survive a restart", async () => {
    await survivesRestart({ DATABASE_URL: db.url });
    const rows = await db.query<{ count: string }>("select count(*) from runs where status = 'completed'");
    expect(Number(rows[0]?.count)).toBe(2);
  });

  it("lists runs newest first, page by page, filtered, and refuses a page token of other filters", async () => {
    const { client, svc } = await service({ AGENT_DATA_DIR: "memory://" });
    const ids: string[] = [];
    for (const input of ["Hello!", "What is 2 * 21?", "Hello again!"]) {
      ids.push((await client.execute(input)).runId);
    }
    svc.simulator.setFaults([{ kind: "status", status: 400 }]);
    const failed = await client.execute("this one fails").catch((err: unknown) => err);
    svc.simulator.clearFaults();
    expect(isAgentServiceError(failed) && failed.code).toBe(Code.Internal);
    const failedRunId = isAgentServiceError(failed) ? (failed.findDetails(ErrorDetailSchema)[0]?.runId ?? "") : "";
    expect(failedRunId).not.toBe("");

    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await client.listRuns({ pageSize: 1, pageToken, status: RunStatus.COMPLETED });
      seen.push(...page.runs.map((run) => run.runId));
      expect(page.runs.every((run) => run.steps.length === 0)).toBe(true);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen).toEqual([...ids].reverse());

    const all = await client.listRuns();
    expect(all.runs.map((run) => run.runId)).toEqual([failedRunId, ...[...ids].reverse()]);
    expect(all.runs[0]).toMatchObject({ status: RunStatus.FAILED, errorCode: "MODELS_REJECTED_REQUEST" });
    const failedRun = await client.getRun(failedRunId);
    expect(failedRun.run?.errorMessage).toContain("rejected");

    const first = await client.listRuns({ pageSize: 1 });
    const refused = await client.listRuns({ pageSize: 1, pageToken: first.nextPageToken, status: RunStatus.FAILED }).catch((err: unknown) => err);
    expect(isAgentServiceError(refused) && refused.code).toBe(Code.InvalidArgument);
    const outOfRange = await client.listRuns({ startedAfter: { $typeName: "google.protobuf.Timestamp", seconds: 10n ** 15n, nanos: 0 } }).catch((err: unknown) => err);
    expect(isAgentServiceError(outOfRange) && [outOfRange.code, outOfRange.rawMessage]).toEqual([Code.InvalidArgument, expect.stringContaining("started_after")]);
    const lastHour = await client.listRuns({ startedAfter: timestampFromMs(Date.now() - 3_600_000) });
    expect(lastHour.runs).toHaveLength(4);
    const garbage = await client.listRuns({ pageToken: "not-a-token" }).catch((err: unknown) => err);
    expect(isAgentServiceError(garbage) && garbage.code).toBe(Code.InvalidArgument);
    // Well formed, but its time is out of any date's range: refused, never a failed store read.
    const farToken = Buffer.from(JSON.stringify([1e20, "run", "fingerprint"])).toString("base64url");
    const far = await client.listRuns({ pageToken: farToken }).catch((err: unknown) => err);
    expect(isAgentServiceError(far) && [far.code, far.rawMessage]).toEqual([Code.InvalidArgument, expect.stringContaining("page_token")]);
    const missing = await client.getRun("no-such-run").catch((err: unknown) => err);
    expect(isAgentServiceError(missing) && missing.code).toBe(Code.NotFound);
    const empty = await client.getRun("").catch((err: unknown) => err);
    expect(isAgentServiceError(empty) && empty.code).toBe(Code.InvalidArgument);
  });
});

describe("a PostgreSQL that goes away", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  beforeAll(async () => {
    db = await createTestDatabase("agent_runs_cut_test");
    proxy = await startTcpProxy({ host: db.host, port: db.port });
  });
  afterEach(() => proxy.restore());
  afterAll(async () => {
    await proxy.close();
    await db.drop();
  });

  const completedRuns = async () => Number((await db.query<{ count: string }>("select count(*) from runs where status = 'completed'"))[0]?.count);

  it("fails no run while it is cut, and the records are complete once it is back", async () => {
    const { client, svc } = await service({ DATABASE_URL: viaPort(db.url, proxy.port) });
    await db.query("truncate runs, run_events");
    const streams: StreamResponse[][] = [];
    const runs = async (count: number) => {
      await Promise.all(Array.from({ length: count }, async () => streams.push(await streamed(client, "What is 17 * 23?"))));
    };
    await runs(4);
    await waitFor("the first runs to be recorded", async () => (await completedRuns()) === 4, { timeoutMs: 10_000 });
    // Cut while eight runs are in flight: their start rows, events and end rows all meet it.
    const inFlight = runs(8);
    proxy.cut();
    await inFlight;
    const failedWrites = () => svc.logs.some((line) => line["msg"] === "run store write failed: records stay queued and are retried");
    await waitFor("a write to fail against the cut database", failedWrites, { timeoutMs: 10_000 });
    await runs(4);
    proxy.restore();
    await runs(4);
    await waitFor("every run to be recorded", async () => (await completedRuns()) === 20, { timeoutMs: 20_000 });
    expect(streams).toHaveLength(20);
    const eventCounts = await db.query<{ run_id: string; events: string; last: number }>(
      // A row may hold several consecutive text deltas: count events, not rows.
      "select run_id, sum(last_seq - seq + 1) as events, max(last_seq) as last from run_events group by run_id",
    );
    const expected = new Map(streams.map((events) => [events[0]?.event.case === "runStarted" ? events[0].event.value.runId : "", events.length]));
    expect(new Map(eventCounts.map((row) => [row.run_id, Number(row.events)]))).toEqual(expected);
    expect(eventCounts.every((row) => Number(row.events) === row.last)).toBe(true);
    expect(svc.logs.some((line) => line["msg"] === "run store reachable again: recording caught up")).toBe(true);
  });

  it("a graceful shutdown writes every acknowledged run, even if the database was away when it began", async () => {
    const { client, svc } = await service({ DATABASE_URL: viaPort(db.url, proxy.port) });
    await db.query("truncate runs, run_events");
    proxy.cut();
    const acknowledged = await Promise.all(Array.from({ length: 10 }, () => client.execute("Hello!")));
    started.splice(started.indexOf(svc), 1);
    const shutdown = svc.close();
    // Back while the shutdown waits for the last writes.
    setTimeout(() => proxy.restore(), 300);
    await shutdown;
    const rows = await db.query<{ run_id: string; status: string }>("select run_id, status from runs");
    expect(rows.map((row) => row.run_id).sort()).toEqual(acknowledged.map((res) => res.runId).sort());
    expect(rows.every((row) => row.status === "completed")).toBe(true);
  });
});
