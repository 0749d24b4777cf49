import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createAgentClient, type AgentClient, type StreamResponse } from "../client/index.js";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { PromptContentSchema, PromptKind, PromptRole, PromptService } from "../gen/agent/v1/prompt_service_pb.js";
import { RunService, RunStatus, type ListRunsRequestSchema } from "../gen/agent/v1/run_service_pb.js";
import { bearer } from "./support/bearer.js";
import { requestsArrived, waitFor } from "./support/chaos/wait-for.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The runs API's filters by prompt, prompt version, model and input text, the
// fields a run's record carries for the run viewer (fallback, experiment), who
// the credentials are (GetCaller), and the replica's runs in Health, through
// the real server with API keys.

const newKey = () => randomBytes(24).toString("base64url");
const keys = { alice: newKey(), bob: newKey(), ops: newKey() };

let dir: string;
let svc: TestService;
const sdkClients: AgentClient[] = [];

function agent(key: string): AgentClient {
  const client = createAgentClient({ baseUrl: svc.url, protocol: "grpc", token: key, retries: 0, timeoutMs: 20_000 });
  sdkClients.push(client);
  return client;
}

function runs(key: string): Client<typeof RunService> {
  return createClient(RunService, createGrpcTransport({ baseUrl: svc.url, interceptors: [bearer(key)] }));
}

function health(): Client<typeof AgentService> {
  return createClient(AgentService, createGrpcTransport({ baseUrl: svc.url }));
}

/** The ids of the runs a ListRuns call returns, newest first. */
async function listed(key: string, request: MessageInitShape<typeof ListRunsRequestSchema>): Promise<string[]> {
  const page = await runs(key).listRuns({ pageSize: 200, ...request });
  return page.runs.map((run) => run.runId);
}

/** The error a call rejects with; fails the test when it resolves. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeDefined();
  return ConnectError.from(error);
}

async function streamedRunId(client: AgentClient, input: string): Promise<string> {
  const events: StreamResponse[] = [];
  for await (const event of client.stream(input, { textDeltas: "live" })) {
    events.push(event);
  }
  const first = events[0]?.event;
  return first?.case === "runStarted" ? first.value.runId : "";
}

/** The runs every test reads, by who started them and how. */
const ids = { aliceTriage: "", aliceDefault: "", aliceFallback: "", bobTriage: "" };
let triageVersion = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-runs-filters-"));
  const digest = (key: string) => createHash("sha256").update(key).digest("hex");
  await writeFile(
    join(dir, "keys.json"),
    JSON.stringify([
      { principal: "alice", roles: ["caller"], sha256: digest(keys.alice) },
      { principal: "bob", roles: ["caller"], sha256: digest(keys.bob) },
      { principal: "ops", roles: ["admin"], sha256: digest(keys.ops) },
    ]),
  );
  svc = await startTestService(
    { AGENT_API_KEYS_FILE: join(dir, "keys.json"), AGENT_CACHE: "off", AGENT_MAX_CONCURRENT_RUNS: "1", AGENT_MAX_QUEUED_RUNS: "5" },
    { runtime: { prompts: [{ name: "triage", messages: [{ role: "system", template: "You triage support tickets." }] }] } },
  );
  const alice = agent(keys.alice);
  const triaged = await alice.execute("Refund ORDER 42, please", { prompt: "triage" });
  ids.aliceTriage = triaged.runId;
  triageVersion = triaged.promptVersion;
  ids.aliceDefault = (await alice.execute("What is 2 + 2?")).runId;
  // The primary breaks mid-answer: the fallback answers the run.
  svc.simulator.setFaults([{ kind: "cut-stream", model: "sim-small" }]);
  try {
    ids.aliceFallback = await streamedRunId(alice, "Hello there, who are you?");
  } finally {
    svc.simulator.clearFaults();
  }
  ids.bobTriage = (await agent(keys.bob).execute("order status for bob", { prompt: "triage" })).runId;
});

afterAll(async () => {
  sdkClients.splice(0).forEach((client) => client.close());
  await svc?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("ListRuns filters", () => {
  it("filters by prompt name, any version", async () => {
    expect(triageVersion).toMatch(/^triage@[0-9a-f]{16}$/);
    expect(await listed(keys.alice, { prompt: "triage" })).toEqual([ids.aliceTriage]);
    expect(await listed(keys.alice, { prompt: "default" })).toEqual([ids.aliceFallback, ids.aliceDefault]);
    expect(await listed(keys.alice, { prompt: "triag" })).toEqual([]);
  });

  it("filters by prompt version (name@version)", async () => {
    expect(await listed(keys.alice, { promptVersion: triageVersion })).toEqual([ids.aliceTriage]);
    expect(await listed(keys.alice, { promptVersion: "triage@0000000000000000" })).toEqual([]);
  });

  it("filters by the model that answered a turn", async () => {
    expect(await listed(keys.alice, { model: "sim-large" })).toEqual([ids.aliceFallback]);
    expect(await listed(keys.alice, { model: "sim-small" })).toEqual([ids.aliceDefault, ids.aliceTriage]);
    expect(await listed(keys.alice, { model: "sim" })).toEqual([]);
  });

  it("filters by text in the input, ignoring case", async () => {
    expect(await listed(keys.alice, { inputContains: "order 42" })).toEqual([ids.aliceTriage]);
    expect(await listed(keys.alice, { inputContains: "WHAT IS" })).toEqual([ids.aliceDefault]);
    expect(await listed(keys.alice, { inputContains: "%" })).toEqual([]);
  });

  it("combines the filters with each other and with status", async () => {
    expect(await listed(keys.alice, { prompt: "triage", inputContains: "refund", model: "sim-small" })).toEqual([ids.aliceTriage]);
    expect(await listed(keys.alice, { prompt: "triage", model: "sim-large" })).toEqual([]);
    expect(await listed(keys.alice, { prompt: "default", status: RunStatus.COMPLETED })).toEqual([ids.aliceFallback, ids.aliceDefault]);
    expect(await listed(keys.alice, { prompt: "default", status: RunStatus.FAILED })).toEqual([]);
  });

  it("shows a caller only its own runs, whatever the filters match", async () => {
    expect(await listed(keys.alice, { inputContains: "order" })).toEqual([ids.aliceTriage]);
    expect(await listed(keys.bob, { inputContains: "order" })).toEqual([ids.bobTriage]);
    expect(await listed(keys.bob, { prompt: "default" })).toEqual([]);
  });

  it("refuses a caller's filter by another principal", async () => {
    const error = await failure(runs(keys.alice).listRuns({ principal: "bob", prompt: "triage" }));
    expect(error.code).toBe(Code.PermissionDenied);
  });

  it("gives an admin every principal's runs that match, or one principal's", async () => {
    const triaged = await listed(keys.ops, { prompt: "triage" });
    expect(triaged).toEqual([ids.bobTriage, ids.aliceTriage]);
    expect(await listed(keys.ops, { prompt: "triage", principal: "bob" })).toEqual([ids.bobTriage]);
  });

  it("pages through filtered runs, and refuses a page token with other filters", async () => {
    const first = await runs(keys.ops).listRuns({ inputContains: "ORDER", pageSize: 1 });
    expect(first.runs.map((run) => run.runId)).toEqual([ids.bobTriage]);
    expect(first.nextPageToken).not.toBe("");
    const second = await runs(keys.ops).listRuns({ inputContains: "ORDER", pageSize: 1, pageToken: first.nextPageToken });
    expect(second.runs.map((run) => run.runId)).toEqual([ids.aliceTriage]);
    expect(second.nextPageToken).toBe("");

    for (const other of [{ inputContains: "order 42" }, { inputContains: "ORDER", model: "sim-small" }, { inputContains: "ORDER", prompt: "triage" }]) {
      const error = await failure(runs(keys.ops).listRuns({ ...other, pageSize: 1, pageToken: first.nextPageToken }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.findDetails(ErrorDetailSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["page_token"]);
    }
  });

  it.each([
    { request: { inputContains: "x".repeat(201) }, field: "input_contains" },
    { request: { promptVersion: "triage" }, field: "prompt_version" },
    { request: { prompt: "triage@1" }, field: "prompt" },
  ])("refuses $field that breaks its rule with INVALID_ARGUMENT naming it", async ({ request, field }) => {
    const error = await failure(runs(keys.alice).listRuns(request));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toContain(field);
    expect(error.findDetails(ErrorDetailSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual([field]);
  });
});

describe("the fields a run's record carries", () => {
  it("says whether a fallback answered, in GetRun and ListRuns", async () => {
    const fallback = (await runs(keys.alice).getRun({ runId: ids.aliceFallback })).run;
    expect(fallback).toMatchObject({ fallbackUsed: true, model: "sim-large", status: RunStatus.COMPLETED });
    expect(fallback?.modelsUsed).toEqual(["sim-large"]);
    const primary = (await runs(keys.alice).getRun({ runId: ids.aliceDefault })).run;
    expect(primary).toMatchObject({ fallbackUsed: false, model: "sim-small" });

    const page = await runs(keys.alice).listRuns({});
    const byId = new Map(page.runs.map((run) => [run.runId, run]));
    expect(byId.get(ids.aliceFallback)?.fallbackUsed).toBe(true);
    expect(byId.get(ids.aliceTriage)?.fallbackUsed).toBe(false);
  });

  it("names the experiment and the arm that chose a run's prompt version, in GetRun and ListRuns", async () => {
    const prompts = createClient(PromptService, createGrpcTransport({ baseUrl: svc.url, interceptors: [bearer(keys.ops)] }));
    const content = (system: string) => create(PromptContentSchema, { kind: PromptKind.AGENT, messages: [{ role: PromptRole.SYSTEM, template: system }] });
    const control = await prompts.registerPrompt({ name: "greeter", content: content("You greet people.") });
    const warm = await prompts.registerPrompt({ name: "greeter", content: content("You greet people warmly.") });
    const { experiment } = await prompts.startExperiment({
      prompt: "greeter",
      arms: [
        { name: "control", version: control.version?.version ?? "", weight: 1 },
        { name: "warm", version: warm.version?.version ?? "", weight: 1 },
      ],
    });
    const answer = await agent(keys.bob).execute("Say hello to the team", { prompt: "greeter" });
    expect(answer.experimentId).toBe(experiment?.experimentId);
    expect(["control", "warm"]).toContain(answer.experimentArm);

    const run = (await runs(keys.bob).getRun({ runId: answer.runId })).run;
    expect(run).toMatchObject({ experimentId: answer.experimentId, experimentArm: answer.experimentArm, promptVersion: answer.promptVersion });
    const [listed] = (await runs(keys.bob).listRuns({ prompt: "greeter" })).runs;
    expect(listed).toMatchObject({ runId: answer.runId, experimentId: answer.experimentId, experimentArm: answer.experimentArm });
  });

  it("has no experiment for a run no experiment chose the version of", async () => {
    const run = (await runs(keys.alice).getRun({ runId: ids.aliceTriage })).run;
    expect(run).toMatchObject({ experimentId: "", experimentArm: "", promptVersion: triageVersion });
  });
});

describe("GetCaller", () => {
  it.each([
    { who: "alice", key: keys.alice, roles: ["caller"] },
    { who: "ops", key: keys.ops, roles: ["caller", "admin"] },
  ])("tells $who who it is and its roles", async ({ who, key, roles }) => {
    expect(await runs(key).getCaller({})).toMatchObject({ principal: who, roles });
  });

  it("needs credentials", async () => {
    const error = await failure(createClient(RunService, createGrpcTransport({ baseUrl: svc.url })).getCaller({}));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});

describe("Health", () => {
  it("reports the replica's runs in flight and queued, against its limits", async () => {
    expect((await health().health({})).runs).toMatchObject({ inFlight: 0, queued: 0, maxConcurrent: 1, maxQueued: 5 });

    // The simulator holds the first run's model call until it is given up on; the second waits for the one slot.
    svc.simulator.setFaults([{ kind: "hang", times: 2 }]);
    const held = new AbortController();
    const waiting = new AbortController();
    const arrived = requestsArrived(svc.simulator, 1);
    const ops = agent(keys.ops);
    const heldRun = ops.execute("hold this run", { signal: held.signal }).catch((err: unknown) => err);
    await arrived;
    const waitingRun = ops.execute("wait for a slot", { signal: waiting.signal }).catch((err: unknown) => err);
    try {
      await waitFor("the second run to queue", async () => (await health().health({})).runs?.queued === 1);
      expect((await health().health({})).runs).toMatchObject({ inFlight: 1, queued: 1, maxConcurrent: 1, maxQueued: 5 });
    } finally {
      waiting.abort();
      await waitingRun;
      const aborted = new Promise<void>((resolve) => svc.simulator.events.once("aborted", () => resolve()));
      held.abort();
      await heldRun;
      await aborted;
      svc.simulator.clearFaults();
    }
    await waitFor("the runs to end", async () => {
      const load = (await health().health({})).runs;
      return load?.inFlight === 0 && load.queued === 0;
    });
  });
});
