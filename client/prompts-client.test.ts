import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ServiceImpl, type Transport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorDetailSchema } from "../gen/agent/v1/errors_pb.js";
import { PromptService } from "../gen/agent/v1/prompt_service_pb.js";
import { RunService } from "../gen/agent/v1/run_service_pb.js";
import { AgentServiceError, createAgentClient, PromptRole, type AgentClient } from "./index.js";

// The prompts part of the client against a fake PromptService in memory: the
// requests it sends, which calls it repeats, and its errors. The real service
// is in test/prompts-cli.test.ts.

/** An error as the service sends it, with its ErrorDetail. */
function serviceError(code: Code, reason: string, retryAfterMs?: number): ConnectError {
  return new ConnectError(`${reason} (simulated)`, code, undefined, [
    { desc: ErrorDetailSchema, value: { reason, retryAfter: retryAfterMs === undefined ? undefined : durationFromMs(retryAfterMs) } },
  ]);
}

/** A broken HTTP/2 connection mid-call: the request may have reached the service. */
const connectionLost = () => new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);

/** No listener: what connect-node raises before a byte of the request is sent. */
const connectionRefused = () =>
  new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable, undefined, undefined, Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));

/** A transport whose first unary attempts fail on the client side with `failures`, before the service sees them. */
function failingFirst(transport: Transport, failures: (() => Error)[]): Transport {
  const pending = [...failures];
  return {
    unary(...args) {
      const failure = pending.shift();
      return failure === undefined ? transport.unary(...args) : Promise.reject(failure());
    },
    stream: (...args) => transport.stream(...args),
  };
}

function clientOf(
  prompts: Partial<ServiceImpl<typeof PromptService>>,
  runs: Partial<ServiceImpl<typeof RunService>> = {},
  options: { failures?: (() => Error)[]; token?: string } = {},
): AgentClient {
  const router = createRouterTransport(({ service }) => {
    service(PromptService, prompts);
    service(RunService, runs);
  });
  return createAgentClient({ transport: failingFirst(router, options.failures ?? []), ...(options.token === undefined ? {} : { token: options.token }) });
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err);

/** A handler that fails its first attempt with `error`, then answers `answer`, counting attempts. */
function flaky<T>(error: () => Error, answer: T) {
  const seen = { attempts: 0 };
  const handler = () => {
    seen.attempts += 1;
    if (seen.attempts === 1) throw error();
    return answer;
  };
  return { seen, handler };
}

describe.each([
  { method: "registerPrompt", call: (client: AgentClient) => client.prompts.register("support", { messages: [{ role: PromptRole.SYSTEM, template: "Be terse." }] }) },
  { method: "getPrompt", call: (client: AgentClient) => client.prompts.get("support") },
  { method: "listPrompts", call: (client: AgentClient) => client.prompts.list() },
  { method: "listPromptVersions", call: (client: AgentClient) => client.prompts.versions("support") },
  { method: "activatePromptVersion", call: (client: AgentClient) => client.prompts.activate("support", "0123456789abcdef") },
  { method: "stopExperiment", call: (client: AgentClient) => client.prompts.stopExperiment("exp-1") },
  { method: "getExperimentResults", call: (client: AgentClient) => client.prompts.experimentResults("exp-1") },
  { method: "listExperiments", call: (client: AgentClient) => client.prompts.listExperiments() },
] as const)("prompts: $method, safe to repeat", ({ method, call }) => {
  it("is repeated after a lost connection", async () => {
    const { seen, handler } = flaky(connectionLost, {});
    await call(clientOf({ [method]: handler }));
    expect(seen.attempts).toBe(2);
  });

  it("is not repeated after NOT_FOUND, which it throws as an AgentServiceError with its reason", async () => {
    const { seen, handler } = flaky(() => serviceError(Code.NotFound, "PROMPT_NOT_FOUND"), {});
    const err = await failure(call(clientOf({ [method]: handler })));
    expect(err).toBeInstanceOf(AgentServiceError);
    expect((err as AgentServiceError).reason).toBe("PROMPT_NOT_FOUND");
    expect(seen.attempts).toBe(1);
  });
});

describe("prompts.startExperiment, at most once", () => {
  const arms = [
    { name: "control", version: "aaaaaaaaaaaaaaaa", weight: 1 },
    { name: "b", version: "bbbbbbbbbbbbbbbb", weight: 3 },
  ];

  it.each([
    { failure: "a lost connection", error: connectionLost },
    { failure: "UNAVAILABLE with a retry-after (the store)", error: () => serviceError(Code.Unavailable, "PROMPT_STORE_UNAVAILABLE", 10) },
  ])("is not repeated after $failure, which may come after the experiment started", async ({ error }) => {
    const { seen, handler } = flaky(error, {});
    const err = await failure(clientOf({ startExperiment: handler }).prompts.startExperiment("support", arms));
    expect(err).toBeInstanceOf(AgentServiceError);
    expect(seen.attempts).toBe(1);
  });

  it("is repeated after a rate limit with a retry-after, which refuses the call before it acts", async () => {
    const { seen, handler } = flaky(() => serviceError(Code.ResourceExhausted, "RATE_LIMITED", 10), { experiment: { experimentId: "exp-1" } });
    const res = await clientOf({ startExperiment: handler }).prompts.startExperiment("support", arms);
    expect(res.experiment?.experimentId).toBe("exp-1");
    expect(seen.attempts).toBe(2);
  });

  it("is repeated when the connection could not be opened, so nothing was sent", async () => {
    let attempts = 0;
    const client = clientOf({ startExperiment: () => (attempts += 1, { experiment: { experimentId: "exp-1" } }) }, {}, { failures: [connectionRefused] });
    expect((await client.prompts.startExperiment("support", arms)).experiment?.experimentId).toBe("exp-1");
    expect(attempts).toBe(1);
  });

  it("sends the arms, the canary rules and the note", async () => {
    const requests: unknown[] = [];
    const client = clientOf({
      startExperiment(req) {
        requests.push({ prompt: req.prompt, arms: req.arms.map((a) => [a.name, a.version, a.weight]), autoPromote: req.canary?.autoPromote, note: req.note });
        return {};
      },
    });
    await client.prompts.startExperiment("support", arms, { canary: { autoPromote: true }, note: "warmer?" });
    await client.prompts.startExperiment("support", arms);
    expect(requests).toEqual([
      { prompt: "support", arms: [["control", "aaaaaaaaaaaaaaaa", 1], ["b", "bbbbbbbbbbbbbbbb", 3]], autoPromote: true, note: "warmer?" },
      { prompt: "support", arms: [["control", "aaaaaaaaaaaaaaaa", 1], ["b", "bbbbbbbbbbbbbbbb", 3]], autoPromote: undefined, note: "" },
    ]);
  });
});

describe("the prompts requests", () => {
  it("registers with the note and activation asked for, and none by default", async () => {
    const seen: [string, number, string, boolean][] = [];
    const client = clientOf({
      registerPrompt(req) {
        seen.push([req.name, req.content?.messages.length ?? 0, req.note, req.activate]);
        return { created: seen.length === 1 };
      },
    });
    const content = { messages: [{ role: PromptRole.SYSTEM, template: "Be terse." }] };
    expect((await client.prompts.register("support", content, { note: "v2", activate: true })).created).toBe(true);
    expect((await client.prompts.register("support", content)).created).toBe(false);
    expect(seen).toEqual([
      ["support", 1, "v2", true],
      ["support", 1, "", false],
    ]);
  });

  it("asks for the active version unless one is named", async () => {
    const versions: string[] = [];
    const client = clientOf({ getPrompt: (req) => (versions.push(req.version), {}) });
    await client.prompts.get("support");
    await client.prompts.get("support", "0123456789abcdef");
    expect(versions).toEqual(["", "0123456789abcdef"]);
  });

  it("sends a results window and an activation note", async () => {
    const after = timestampFromDate(new Date("2025-01-01T00:00:00Z"));
    const seen: unknown[] = [];
    const client = clientOf({
      getExperimentResults: (req) => (seen.push([req.experimentId, req.after?.seconds, req.before]), {}),
      activatePromptVersion: (req) => (seen.push([req.name, req.version, req.note]), {}),
    });
    await client.prompts.experimentResults("exp-1", { after });
    await client.prompts.activate("support", "0123456789abcdef", { note: "roll back" });
    expect(seen).toEqual([
      ["exp-1", after.seconds, undefined],
      ["support", "0123456789abcdef", "roll back"],
    ]);
  });

  it("sends the token on prompt calls", async () => {
    const headers: (string | null)[] = [];
    const client = clientOf({ listPrompts: (_req, ctx) => (headers.push(ctx.requestHeader.get("authorization")), {}) }, {}, { token: "key-1" });
    await client.prompts.list();
    expect(headers).toEqual(["Bearer key-1"]);
  });
});

describe("submitFeedback", () => {
  it("sends the score and comment, and is repeated after a lost connection: a repeat replaces the score", async () => {
    const seen: [string, number, string][] = [];
    const client = clientOf(
      {},
      {
        submitFeedback(req) {
          seen.push([req.runId, req.score, req.comment]);
          if (seen.length === 1) throw connectionLost();
          return { first: false };
        },
      },
    );
    expect((await client.submitFeedback("run-1", 4, { comment: "good" })).first).toBe(false);
    expect(seen).toEqual([
      ["run-1", 4, "good"],
      ["run-1", 4, "good"],
    ]);
  });
});
