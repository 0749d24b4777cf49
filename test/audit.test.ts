import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentServiceError, Code, createAgentClient, type AgentClient } from "../client/index.js";
import { AuditAction, AuditService, type AuditEvent } from "../gen/agent/v1/audit_service_pb.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The audit log through the real server on PostgreSQL: runs, tool calls and
// refused calls recorded, read back and verified by an admin, and a row
// changed in the database named by the verification and by the command.

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));

const newKey = () => randomBytes(24).toString("base64url");
const keys = { orders: newKey(), limited: newKey(), ops: newKey() };
const digest = (key: string) => createHash("sha256").update(key).digest("hex");

let dir: string;
let database: TestDatabase;
let svc: TestService;
const clients: AgentClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-audit-"));
  await writeFile(
    join(dir, "keys.json"),
    JSON.stringify([
      { principal: "svc-orders", roles: ["caller"], sha256: digest(keys.orders) },
      { principal: "svc-limited", roles: ["caller"], sha256: digest(keys.limited) },
      { principal: "ops", roles: ["admin"], sha256: digest(keys.ops) },
    ]),
  );
  await writeFile(join(dir, "limits.json"), JSON.stringify({ principals: { "svc-limited": { requests_per_minute: 1 } } }));
  database = await createTestDatabase("audit");
  svc = await startTestService({
    AGENT_API_KEYS_FILE: join(dir, "keys.json"),
    AGENT_LIMITS_FILE: join(dir, "limits.json"),
    DATABASE_URL: database.url,
  });
});

afterAll(async () => {
  clients.splice(0).forEach((client) => client.close());
  await svc.close();
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

function client(token?: string): AgentClient {
  const made = createAgentClient({ baseUrl: svc.url, protocol: "grpc", timeoutMs: 20_000, retries: 0, ...(token === undefined ? {} : { token }) });
  clients.push(made);
  return made;
}

function auditClient(token: string): Client<typeof AuditService> {
  return createClient(
    AuditService,
    createGrpcTransport({
      baseUrl: svc.url,
      interceptors: [
        (next) => (req) => {
          req.header.set("authorization", `Bearer ${token}`);
          return next(req);
        },
      ],
    }),
  );
}

async function failure(call: Promise<unknown>): Promise<{ code: Code; reason: string | undefined }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentServiceError);
  return err as AgentServiceError;
}

/** Every event of a filter, following the page tokens. */
async function allEvents(request: { principal?: string; runId?: string }, pageSize: number): Promise<AuditEvent[]> {
  const admin = auditClient(keys.ops);
  const events: AuditEvent[] = [];
  let pageToken = "";
  do {
    const page = await admin.listAuditEvents({ ...request, pageSize, pageToken });
    events.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return events;
}

/** The audit-cli command, from source, on the service's database. */
async function auditCli(): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "server/audit-cli.ts", "verify"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: database.url },
    });
    return { code: 0, stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    expect(failed.stderr).toBe("");
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe("the audit log", () => {
  let toolRunId: string;

  it("records a run's start, model calls, tool call and end, in order, with a digest of the tool's arguments only", async () => {
    const answer = await client(keys.orders).execute("What is 17 * 23?");
    expect(answer.output).toContain("391");
    toolRunId = answer.runId;
    await client(keys.orders).execute("What is 2 + 2?");

    // Two to a page, so that the listing follows its page tokens.
    const events = await allEvents({ runId: toolRunId }, 2);
    expect(events.map((event) => AuditAction[event.action])).toEqual(["RUN_STARTED", "MODEL_CALL", "TOOL_CALL", "MODEL_CALL", "RUN_ENDED"]);
    expect(events.every((event) => event.principal === "svc-orders" && event.traceId === answer.traceId)).toBe(true);
    const toolCall = answer.steps.find((step) => step.kind.case === "toolCall")?.kind.value;
    const arguments_ = toolCall !== undefined && "arguments" in toolCall ? toolCall.arguments : "";
    expect(events[2]?.detail).toEqual({ tool: "calculator", iteration: 1, status: "ok", arguments_sha256: createHash("sha256").update(arguments_).digest("hex") });
    expect(events[4]?.detail).toMatchObject({ status: "completed", stop_reason: "final_answer", iterations: answer.iterations });
    // Neither the input, nor the output, nor the tool's arguments or result are in the log.
    const recorded = JSON.stringify(events.map((event) => event.detail));
    for (const content of ["17 * 23", "17*23", "391", arguments_]) {
      expect(recorded).not.toContain(content);
    }
    const seqs = events.map((event) => Number(event.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("records refused calls: without a key, without the admin role, over a limit", async () => {
    expect(await failure(client().execute("What is 2 + 2?"))).toMatchObject({ code: Code.Unauthenticated, reason: "CREDENTIALS_MISSING" });
    await expect(auditClient(keys.orders).verifyAuditLog({})).rejects.toMatchObject({ code: Code.PermissionDenied });
    await client(keys.limited).execute("What is 2 + 2?");
    expect(await failure(client(keys.limited).execute("What is 2 + 2?"))).toMatchObject({ code: Code.ResourceExhausted, reason: "RATE_LIMITED" });

    const denials = (await allEvents({}, 1_000)).filter((event) => event.action === AuditAction.CALL_DENIED);
    expect(denials.map((event) => [event.principal, event.detail])).toEqual([
      ["", { method: "agent.v1.AgentService/Execute", code: "UNAUTHENTICATED", reason: "CREDENTIALS_MISSING" }],
      ["svc-orders", { method: "agent.v1.AuditService/VerifyAuditLog", code: "PERMISSION_DENIED", reason: "ROLE_REQUIRED" }],
      ["svc-limited", { method: "agent.v1.AgentService/Execute", code: "RESOURCE_EXHAUSTED", reason: "RATE_LIMITED" }],
    ]);
    expect(denials.every((event) => /^[0-9a-f]{32}$/.test(event.traceId))).toBe(true);
  });

  it("verifies, through the admin RPC and the command", async () => {
    const verified = await auditClient(keys.ops).verifyAuditLog({});
    expect(verified).toMatchObject({ ok: true, firstBadSeq: 0n, problem: "" });
    expect(verified.rowsChecked).toBe(verified.headSeq);
    expect(verified.rowsChecked).toBeGreaterThanOrEqual(13n);
    const cli = await auditCli();
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^audit log ok: \d+ rows verified up to seq \d+, in PostgreSQL/);
  });

  it("names the row changed in the database, through the admin RPC and the command", async () => {
    const [toolCall] = (await allEvents({ runId: toolRunId }, 100)).filter((event) => event.action === AuditAction.TOOL_CALL);
    const seq = Number(toolCall?.seq);
    await database.query("UPDATE audit_log SET detail = replace(detail, 'calculator', 'current_time') WHERE seq = $1", [seq]);

    const verified = await auditClient(keys.ops).verifyAuditLog({});
    expect(verified).toMatchObject({ ok: false, firstBadSeq: BigInt(seq), rowsChecked: BigInt(seq) });
    expect(verified.problem).toBe(`seq ${seq} does not hash to its stored hash: the row was changed`);
    const cli = await auditCli();
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`audit log broken at seq ${seq} (hash_mismatch)`);
  });

  it("appends what is still queued when the service shuts down", async () => {
    // A batch window far longer than the test: only the shutdown writes the run's entries.
    const replica = await startTestService({ AGENT_API_KEYS_FILE: join(dir, "keys.json"), DATABASE_URL: database.url, AGENT_RUN_RECORD_BATCH_MS: "10000" });
    const agent = createAgentClient({ baseUrl: replica.url, protocol: "grpc", timeoutMs: 20_000, retries: 0, token: keys.orders });
    let runId: string;
    try {
      runId = (await agent.execute("What is 2 + 2?")).runId;
    } finally {
      agent.close();
      await replica.close();
    }
    const rows = await database.query<{ action: string }>("SELECT action FROM audit_log WHERE run_id = $1 ORDER BY seq", [runId]);
    expect(rows.map((row) => row.action)).toEqual(["run_started", "model_call", "tool_call", "model_call", "run_ended"]);
  });
});
