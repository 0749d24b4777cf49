import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { RunService, RunStatus } from "../gen/agent/v1/run_service_pb.js";
import type { SimulatorRequestEvent } from "../server/simulator/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

const started: TestService[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((svc) => svc.close()));
});

async function replica(env: Record<string, string> = {}) {
  const svc = await startTestService({ AGENT_CACHE: "off", ...env });
  started.push(svc);
  const requests: SimulatorRequestEvent[] = [];
  svc.simulator.events.on("request", (request) => requests.push(request));
  /** Clients of the service, sending `apiKey` as the caller's credential when given. */
  const clientsFor = (apiKey?: string) => {
    const bearer: Interceptor = (next) => (req) => {
      req.header.set("authorization", `Bearer ${apiKey ?? ""}`);
      return next(req);
    };
    const transport = createGrpcTransport({ baseUrl: svc.url, interceptors: apiKey === undefined ? [] : [bearer] });
    return { agent: createClient(AgentService, transport), runs: createClient(RunService, transport) };
  };
  return { svc, requests, clientsFor, ...clientsFor() };
}

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

/** The roles and texts of a request's messages, the system prompt left out. */
function conversation(request: SimulatorRequestEvent | undefined) {
  return (request?.messages ?? []).filter((m) => m.role !== "system").map((m) => [m.role, typeof m.content === "string" ? m.content : JSON.stringify(m.content)]);
}

describe("threads", () => {
  it("starts each turn from the thread's earlier ones: the third question refers to the first", async () => {
    const { agent, runs, requests } = await replica();
    const threadId = randomUUID();
    const first = await agent.execute({ input: "What is 17 * 23?", threadId });
    expect(first.output).toContain("391");
    const second = await agent.execute({ input: "Tell me about the moon", threadId });
    const before = requests.length;
    const third = await agent.execute({ input: "What was my first question?", threadId });

    expect(third.output).toContain('Your first question was: "What is 17 * 23?"');
    // The model was sent the earlier turns, in order: the first with its tool call and result.
    const sent = conversation(requests[before]);
    expect(sent[0]).toEqual(["user", "What is 17 * 23?"]);
    expect(sent.map(([role]) => role)).toEqual(["user", "assistant", "tool", "assistant", "user", "assistant", "user"]);
    expect(sent[2]?.[1]).toContain("391");
    expect(sent.slice(3)).toEqual([
      ["assistant", first.output],
      ["user", "Tell me about the moon"],
      ["assistant", second.output],
      ["user", "What was my first question?"],
    ]);

    const thread = await runs.getThread({ threadId });
    expect(thread.runs.map((run) => [run.runId, run.threadId, run.status])).toEqual(
      [first, second, third].map((run) => [run.runId, threadId, RunStatus.COMPLETED]),
    );
    expect(thread.nextPageToken).toBe("");
  });

  it("keeps threads apart, and a run without one starts fresh", async () => {
    const { agent } = await replica();
    await agent.execute({ input: "What is 17 * 23?", threadId: randomUUID() });
    expect((await agent.execute({ input: "What was my first question?", threadId: randomUUID() })).output).toBe("You have not asked anything before.");
    expect((await agent.execute({ input: "What was my first question?" })).output).toBe("You have not asked anything before.");
  });

  it("bounds the history by AGENT_THREAD_HISTORY_RUNS: the oldest turns fall out whole", async () => {
    const { agent, requests } = await replica({ AGENT_THREAD_HISTORY_RUNS: "2" });
    const threadId = randomUUID();
    for (const input of ["Hello!", "Tell me about the moon", "Tell me about the sun"]) {
      await agent.execute({ input, threadId });
    }
    const before = requests.length;
    const answer = await agent.execute({ input: "What was my first question?", threadId });
    expect(answer.output).toBe('Your first question was: "Tell me about the moon".');
    expect(conversation(requests[before]).filter(([role]) => role === "user")).toHaveLength(3);
  });

  it("pages a thread oldest first, and answers NOT_FOUND for one without runs", async () => {
    const { agent, runs } = await replica();
    const threadId = randomUUID();
    const ids: string[] = [];
    for (const input of ["Hello!", "Tell me about the moon", "Tell me about the sun"]) {
      ids.push((await agent.execute({ input, threadId })).runId);
    }
    const page1 = await runs.getThread({ threadId, pageSize: 2 });
    const page2 = await runs.getThread({ threadId, pageSize: 2, pageToken: page1.nextPageToken });
    expect([...page1.runs, ...page2.runs].map((run) => run.runId)).toEqual(ids);
    expect(page2.nextPageToken).toBe("");
    const missing = await failure(runs.getThread({ threadId: randomUUID() }));
    expect([missing.code, missing.findDetails(ErrorDetailSchema)[0]?.reason]).toEqual([Code.NotFound, "THREAD_NOT_FOUND"]);
    const bad = await failure(agent.execute({ input: "Hello!", threadId: "has spaces" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.findDetails(ErrorDetailSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["thread_id"]);
  });

  it("belongs to the principal that created it: another caller with the same thread_id neither sees its turns nor its runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-threads-"));
    try {
      const keys = { alice: randomBytes(24).toString("base64url"), bob: randomBytes(24).toString("base64url") };
      const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");
      await writeFile(
        join(dir, "keys.json"),
        JSON.stringify([
          { principal: "alice", roles: ["caller"], sha256: sha256(keys.alice) },
          { principal: "bob", roles: ["caller"], sha256: sha256(keys.bob) },
        ]),
      );
      const { clientsFor, requests } = await replica({ AGENT_API_KEYS_FILE: join(dir, "keys.json") });
      const alice = clientsFor(keys.alice);
      const bob = clientsFor(keys.bob);
      const threadId = randomUUID();
      const mine = await alice.agent.execute({ input: "What is 17 * 23?", threadId });

      // Bob's run with Alice's thread_id starts fresh: the model is sent none of Alice's turns.
      const before = requests.length;
      const theirs = await bob.agent.execute({ input: "What was my first question?", threadId });
      expect(theirs.output).toBe("You have not asked anything before.");
      expect(conversation(requests[before])).toEqual([["user", "What was my first question?"]]);

      // Each sees only its own runs under that id, and Alice's next turn follows her own first one.
      expect((await alice.runs.getThread({ threadId })).runs.map((run) => [run.runId, run.principal])).toEqual([[mine.runId, "alice"]]);
      expect((await bob.runs.getThread({ threadId })).runs.map((run) => [run.runId, run.principal])).toEqual([[theirs.runId, "bob"]]);
      const next = await alice.agent.execute({ input: "What was my first question?", threadId });
      expect(next.output).toContain('Your first question was: "What is 17 * 23?"');
      const missing = await failure(bob.runs.getThread({ threadId: randomUUID() }));
      expect(missing.code).toBe(Code.NotFound);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
