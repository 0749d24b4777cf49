import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentServiceError, createAgentClient, type AgentClient } from "../client/index.js";
import { AuditAction, AuditService } from "../gen/agent/v1/audit_service_pb.js";
import { PromptContentSchema, PromptKind, PromptRole, PromptService, type PromptContent } from "../gen/agent/v1/prompt_service_pb.js";
import type { ChatMessage } from "../server/simulator/index.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { bearer } from "./support/bearer.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Prompts as versioned releases, through the real server: registration by
// content hash, activation and rollback, the version a run uses, restarts,
// replicas on one PostgreSQL, prompts declared in a file, and the errors.

const newKey = () => randomBytes(24).toString("base64url");
const digest = (key: string) => createHash("sha256").update(key).digest("hex");
const keys = { admin: newKey(), caller: newKey() };

let dir: string;
let keysFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-prompts-"));
  keysFile = join(dir, "keys.json");
  await writeFile(
    keysFile,
    JSON.stringify([
      { principal: "release-bot", roles: ["admin"], sha256: digest(keys.admin) },
      { principal: "svc-orders", roles: ["caller"], sha256: digest(keys.caller) },
    ]),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function promptsClient(svc: TestService, key: string): Client<typeof PromptService> {
  return createClient(PromptService, createGrpcTransport({ baseUrl: svc.url, interceptors: [bearer(key)] }));
}

function agentClient(svc: TestService, key: string): AgentClient {
  return createAgentClient({ baseUrl: svc.url, protocol: "grpc", token: key, retries: 0, timeoutMs: 20_000 });
}

/** An agent prompt of one system message with a {tone} variable. */
function supportPrompt(text: string): PromptContent {
  return create(PromptContentSchema, {
    kind: PromptKind.AGENT,
    messages: [{ role: PromptRole.SYSTEM, template: `${text} Answer in a {tone} tone.` }],
    inputVariables: ["tone"],
  });
}

/** The system messages the simulator received, in order. */
function systemMessages(svc: TestService): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  const listener = (request: { messages: readonly ChatMessage[] }) => {
    const system = request.messages.find((message) => message.role === "system");
    seen.push(typeof system?.content === "string" ? system.content : JSON.stringify(system?.content));
  };
  svc.simulator.events.on("request", listener);
  return { seen, stop: () => svc.simulator.events.off("request", listener) };
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return ConnectError.from(err);
}

/** The SDK's error of a run that was refused. */
async function refused(call: Promise<unknown>): Promise<AgentServiceError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentServiceError);
  return err as AgentServiceError;
}

/** Where the service keeps its prompts: embedded PGlite in a directory, or the real PostgreSQL. */
const stores = [
  {
    name: "embedded PGlite",
    async open() {
      const dataDir = await mkdtemp(join(tmpdir(), "agent-prompts-data-"));
      return { env: { AGENT_DATA_DIR: dataDir }, dispose: () => rm(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: "PostgreSQL",
    async open() {
      const database = await createTestDatabase("agent_prompts");
      return { env: { DATABASE_URL: database.url }, dispose: () => database.drop() };
    },
  },
];

describe.each(stores)("prompt registry on $name", (where) => {
  let svc: TestService;
  let storeEnv: Record<string, string>;
  let dispose: () => Promise<void>;
  const env = () => ({ AGENT_API_KEYS_FILE: keysFile, ...storeEnv });

  beforeAll(async () => {
    ({ env: storeEnv, dispose } = await where.open());
    svc = await startTestService(env());
  });
  afterAll(async () => {
    await svc.close();
    await dispose();
  });

  it("runs the built-in default prompt, registered and active, when a request names none", async () => {
    const answer = await agentClient(svc, keys.caller).execute("What is 2 + 2?");
    const { version } = await promptsClient(svc, keys.caller).getPrompt({ name: "default" });
    expect(version?.active).toBe(true);
    expect(answer.promptVersion).toBe(version?.id);
    expect(answer.promptVersion).toMatch(/^default@[0-9a-f]{16}$/);
  });

  it("registers by content: v1, then v2 activated; a run uses v2, a rollback to v1 is used next, and a restart keeps v1", async () => {
    const admin = promptsClient(svc, keys.admin);
    const v1 = await admin.registerPrompt({ name: "support", content: supportPrompt("You are support v1."), note: "first" });
    expect(v1).toMatchObject({ created: true, version: { active: true, author: "release-bot", note: "first" } });
    const again = await admin.registerPrompt({ name: "support", content: supportPrompt("You are support v1."), note: "same content" });
    expect(again.created).toBe(false);
    expect(again.version?.version).toBe(v1.version?.version);
    const v2 = await admin.registerPrompt({ name: "support", content: supportPrompt("You are support v2."), activate: true });
    expect(v2.version?.active).toBe(true);

    const caller = agentClient(svc, keys.caller);
    const seen = systemMessages(svc);
    try {
      const onV2 = await caller.execute("What is 2 + 2?", { prompt: "support", variables: { tone: "friendly" } });
      expect(onV2.promptVersion).toBe(`support@${v2.version?.version}`);
      expect(seen.seen.at(-1)).toBe("You are support v2. Answer in a friendly tone.");

      const rollback = await admin.activatePromptVersion({ name: "support", version: v1.version?.version ?? "", note: "v2 too chatty" });
      expect(rollback.previousVersion).toBe(v2.version?.version);
      const onV1 = await caller.execute("What is 2 + 2?", { prompt: "support", variables: { tone: "formal" } });
      expect(onV1.promptVersion).toBe(`support@${v1.version?.version}`);
      expect(seen.seen.at(-1)).toBe("You are support v1. Answer in a formal tone.");

      // A pinned version runs whatever is active.
      const pinned = await caller.execute("What is 2 + 2?", { prompt: "support", promptVersion: v2.version?.version ?? "", variables: { tone: "dry" } });
      expect(pinned.promptVersion).toBe(`support@${v2.version?.version}`);
      expect(seen.seen.at(-1)).toBe("You are support v2. Answer in a dry tone.");
    } finally {
      seen.stop();
    }

    const history = await admin.listPromptVersions({ name: "support" });
    expect(history.versions.map((v) => [v.version, v.active])).toEqual([
      [v2.version?.version, false],
      [v1.version?.version, true],
    ]);
    expect(history.activations.map((a) => [a.version, a.activatedBy, a.note])).toEqual([
      [v1.version?.version, "release-bot", "v2 too chatty"],
      [v2.version?.version, "release-bot", ""],
      [v1.version?.version, "release-bot", "first"],
    ]);

    await svc.close();
    svc = await startTestService(env());
    const afterRestart = await agentClient(svc, keys.caller).execute("What is 2 + 2?", { prompt: "support", variables: { tone: "calm" } });
    expect(afterRestart.promptVersion).toBe(`support@${v1.version?.version}`);
  });

  it("audits each registration and activation, with who did it", async () => {
    const admin = promptsClient(svc, keys.admin);
    await admin.registerPrompt({ name: "audited", content: supportPrompt("You are audited.") });
    const audit = createClient(AuditService, createGrpcTransport({ baseUrl: svc.url, interceptors: [bearer(keys.admin)] }));
    const { events } = await audit.listAuditEvents({ principal: "release-bot", pageSize: 1_000 });
    const mine = events.filter((event) => event.detail?.["prompt"] === "audited");
    expect(mine.map((event) => event.action)).toEqual([AuditAction.PROMPT_REGISTERED, AuditAction.PROMPT_ACTIVATED]);
    expect((await audit.verifyAuditLog({})).ok).toBe(true);
  });

  it("refuses a template whose variables do not match their declaration, naming the variable", async () => {
    const admin = promptsClient(svc, keys.admin);
    const undeclared = await failure(
      admin.registerPrompt({
        name: "broken",
        content: create(PromptContentSchema, { messages: [{ role: PromptRole.SYSTEM, template: "Hello {customer}, about {topic}." }], inputVariables: ["customer"] }),
      }),
    );
    expect(undeclared.code).toBe(Code.InvalidArgument);
    expect(undeclared.rawMessage).toContain("topic");
    const unknownTool = await failure(
      admin.registerPrompt({
        name: "broken",
        content: create(PromptContentSchema, { messages: [{ role: PromptRole.SYSTEM, template: "Hi." }], tools: ["calculator", "teleporter"] }),
      }),
    );
    expect(unknownTool.code).toBe(Code.InvalidArgument);
    expect(unknownTool.rawMessage).toContain("teleporter");
    // Nothing was half-registered.
    expect((await failure(admin.getPrompt({ name: "broken" }))).code).toBe(Code.NotFound);
  });

  it("refuses a run whose variables, prompt or pinned version do not exist, naming them, before any model call", async () => {
    const caller = agentClient(svc, keys.caller);
    const before = svc.simulator.stats().requests;
    const missing = await refused(caller.execute("Hi", { prompt: "support" }));
    expect([missing.code, missing.reason]).toEqual([Code.InvalidArgument, "PROMPT_VARIABLES"]);
    expect(missing.rawMessage).toContain("tone");
    const extra = await refused(caller.execute("Hi", { prompt: "support", variables: { tone: "warm", mood: "odd" } }));
    expect([extra.code, extra.reason]).toEqual([Code.InvalidArgument, "PROMPT_VARIABLES"]);
    expect(extra.rawMessage).toContain("mood");
    const version = await refused(caller.execute("Hi", { prompt: "support", promptVersion: "0123456789abcdef", variables: { tone: "warm" } }));
    expect([version.code, version.reason]).toEqual([Code.InvalidArgument, "PROMPT_VERSION_NOT_FOUND"]);
    expect(version.rawMessage).toContain('prompt "support" has no version "0123456789abcdef"');
    const prompt = await refused(caller.execute("Hi", { prompt: "no-such-prompt" }));
    expect([prompt.code, prompt.reason]).toEqual([Code.InvalidArgument, "PROMPT_NOT_FOUND"]);
    expect(prompt.rawMessage).toContain("no-such-prompt");
    expect(svc.simulator.stats().requests).toBe(before);
  });

  it("lets a caller read prompts but not register or activate them", async () => {
    const caller = promptsClient(svc, keys.caller);
    expect((await caller.listPrompts({})).prompts.map((p) => p.name)).toContain("support");
    const register = await failure(caller.registerPrompt({ name: "mine", content: supportPrompt("Mine.") }));
    expect(register.code).toBe(Code.PermissionDenied);
    const activate = await failure(caller.activatePromptVersion({ name: "support", version: "0123456789abcdef" }));
    expect(activate.code).toBe(Code.PermissionDenied);
  });
});

describe("prompts declared in AGENT_PROMPTS_FILE", () => {
  it("are registered and activated at start-up, once however often the service starts", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "agent-prompts-file-"));
    const file = join(dir, "prompts.yaml");
    await writeFile(
      file,
      [
        "prompts:",
        "  - name: triage",
        "    note: from the deployment's repository",
        "    messages:",
        "      - role: system",
        "        template: You triage tickets for the {team} team.",
        "    inputVariables: [team]",
        "    tools: [calculator]",
        "",
      ].join("\n"),
    );
    let svc = await startTestService({ AGENT_API_KEYS_FILE: keysFile, AGENT_DATA_DIR: dataDir, AGENT_PROMPTS_FILE: file });
    try {
      const first = await promptsClient(svc, keys.caller).listPromptVersions({ name: "triage" });
      expect(first.versions).toHaveLength(1);
      expect(first.activations.map((a) => a.activatedBy)).toEqual(["startup"]);
      const answer = await agentClient(svc, keys.caller).execute("What is 3 * 4?", { prompt: "triage", variables: { team: "billing" } });
      expect(answer.promptVersion).toBe(first.versions[0]?.id);
      await svc.close();
      svc = await startTestService({ AGENT_API_KEYS_FILE: keysFile, AGENT_DATA_DIR: dataDir, AGENT_PROMPTS_FILE: file });
      const second = await promptsClient(svc, keys.caller).listPromptVersions({ name: "triage" });
      expect(second.activations).toHaveLength(1);
    } finally {
      await svc.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("fails the start with the entry and the variable when a declared prompt is not valid", async () => {
    const file = join(dir, "broken-prompts.json");
    await writeFile(file, JSON.stringify({ prompts: [{ name: "triage", messages: [{ role: "system", template: "For {team}." }] }] }));
    await expect(startTestService({ AGENT_API_KEYS_FILE: keysFile, AGENT_PROMPTS_FILE: file })).rejects.toThrow(/AGENT_PROMPTS_FILE: .*triage.*team/);
  });
});

describe("prompt activation across replicas on one PostgreSQL", () => {
  let database: TestDatabase;
  let a: TestService;
  let b: TestService;
  const refreshMs = 200;

  beforeAll(async () => {
    database = await createTestDatabase("agent_prompts");
    const env = { AGENT_API_KEYS_FILE: keysFile, DATABASE_URL: database.url, AGENT_PROMPT_REFRESH_MS: String(refreshMs) };
    [a, b] = await Promise.all([startTestService(env), startTestService(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await database?.drop();
  });

  it("runs on one replica the version activated on the other, within the refresh interval", async () => {
    const admin = promptsClient(a, keys.admin);
    const v1 = await admin.registerPrompt({ name: "shared", content: supportPrompt("Shared v1.") });
    const v2 = await admin.registerPrompt({ name: "shared", content: supportPrompt("Shared v2.") });
    const onB = agentClient(b, keys.caller);
    const versionOnB = async () => (await onB.execute("What is 1 + 1?", { prompt: "shared", variables: { tone: "plain" } })).promptVersion;
    await expect.poll(versionOnB, { timeout: 10 * refreshMs + 5_000, interval: 50 }).toBe(`shared@${v1.version?.version}`);
    await admin.activatePromptVersion({ name: "shared", version: v2.version?.version ?? "" });
    const activatedAt = performance.now();
    await expect.poll(versionOnB, { timeout: 10 * refreshMs + 5_000, interval: 20 }).toBe(`shared@${v2.version?.version}`);
    // The documented bound is one refresh interval plus a query; the margin is for a loaded machine.
    expect(performance.now() - activatedAt).toBeLessThan(refreshMs + 2_000);
  });
});
