import { toJsonString } from "@bufbuild/protobuf";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentClient, type AgentClient } from "../client/index.js";
import { GetRunResponseSchema, ListRunsResponseSchema } from "../gen/agent/v1/run_service_pb.js";
import { ExecuteResponseSchema, StreamResponseSchema } from "../gen/agent/v1/agent_service_pb.js";
import { startOtlpReceiver, type OtlpReceiver } from "./support/otlp/index.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Secrets given through NAME_FILE, planted in every setting that holds one,
// then a full round of calls (good and bad credentials, runs read back): no
// planted value may appear in a log line, an exported span, an error or a
// response.

const planted = (what: string) => `planted-${what}-${randomBytes(12).toString("hex")}`;
const secrets = {
  providerKey: planted("provider-key"),
  databasePassword: planted("db-password"),
  otlpHeader: planted("otlp-header"),
  apiKey: planted("api-key"),
  wrongKey: planted("wrong-key"),
};

/** Values the files hold after a rotation, which must not leak either. */
const rotated = {
  providerKey: planted("rotated-provider-key"),
  databasePassword: planted("rotated-db-password"),
  otlpHeader: planted("rotated-otlp-header"),
};

let dir: string;
let db: TestDatabase;
let receiver: OtlpReceiver;
let svc: TestService;
/** Writes `content` (and a newline) to the file `name` in the test's directory and returns its path. */
let file: (name: string, content: string) => Promise<string>;
const outputs: string[] = [];
const clients: AgentClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-secrets-"));
  db = await createTestDatabase("secrets");
  receiver = await startOtlpReceiver();
  file = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, `${content}\n`);
    return path;
  };
  // The test server trusts local connections: the password is sent nowhere, but it is the service's to keep.
  const withPassword = databaseUrlWith(secrets.databasePassword);
  svc = await startTestService({
    OPENAI_API_KEY: "",
    OPENAI_API_KEY_FILE: await file("openai-key", secrets.providerKey),
    DATABASE_URL_FILE: await file("database-url", withPassword),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_HEADERS_FILE: await file("otlp-headers", `authorization=Bearer ${secrets.otlpHeader}`),
    OTEL_BSP_SCHEDULE_DELAY: "50",
    AGENT_API_KEYS_FILE: await file(
      "keys.json",
      JSON.stringify([{ principal: "svc-orders", roles: ["caller"], sha256: createHash("sha256").update(secrets.apiKey).digest("hex") }]),
    ),
    // The simulator answers only a request with this key: a run that completes used the file's value.
  }, { simulator: { apiKey: secrets.providerKey } });
});

afterAll(async () => {
  clients.splice(0).forEach((client) => client.close());
  await svc.close();
  await receiver.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

/** The test database's URL with `password`. */
function databaseUrlWith(password: string): string {
  const url = new URL(db.url);
  url.password = password;
  return url.toString();
}

/** JSON of anything, bigints included. */
const json = (value: unknown, keys?: string[]) =>
  keys === undefined ? JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) : JSON.stringify(value, keys);

function client(token: string): AgentClient {
  const made = createAgentClient({ baseUrl: svc.url, protocol: "connect", timeoutMs: 20_000, retries: 0, token });
  clients.push(made);
  return made;
}

describe("secrets given through _FILE", () => {
  it("reach the provider and the database, and nothing else: no log line, span, error or response holds one", async () => {
    const agent = client(secrets.apiKey);
    const answer = await agent.execute("What is 17 * 23?");
    outputs.push(toJsonString(ExecuteResponseSchema, answer));
    for await (const event of agent.stream("What time is it in Asia/Tokyo?", { textDeltas: "live" })) {
      outputs.push(toJsonString(StreamResponseSchema, event));
    }
    outputs.push(toJsonString(GetRunResponseSchema, await agent.getRun(answer.runId, { includeEvents: true })));
    outputs.push(toJsonString(ListRunsResponseSchema, await agent.listRuns()));
    const refused = await client(secrets.wrongKey)
      .execute("What is 2 + 2?")
      .catch((e: unknown) => e);
    outputs.push(json(refused, Object.getOwnPropertyNames(refused)), String(refused));

    // The simulator refuses any other key: the service sent the file's value.
    expect(svc.simulator.stats().requests).toBeGreaterThan(0);
    expect(answer.output).toContain("391");
    // The run was recorded in the database the file named.
    expect((await db.query<{ n: string }>("SELECT count(*) AS n FROM runs"))[0]?.n).not.toBe("0");
    const spans = await receiver.waitForSpans((received) => received.some((span) => span.name.startsWith("chat ")));

    const everything = [...svc.rawLogs, json(spans), ...outputs].join("\n");
    expect(everything.length).toBeGreaterThan(10_000);
    for (const [name, value] of Object.entries(secrets)) {
      expect(everything.includes(value), `${name} leaked`).toBe(false);
    }
  });

  it("are reread on reload, each logged by name only, and neither old nor new values leak", async () => {
    const agent = client(secrets.apiKey);
    const logsBefore = svc.logs.length;
    await file("openai-key", rotated.providerKey);
    await file("database-url", databaseUrlWith(rotated.databasePassword));
    await file("otlp-headers", `authorization=Bearer ${rotated.otlpHeader}`);
    await svc.service.reload();
    const reread = svc.logs.slice(logsBefore).filter((line) => line["setting"] !== undefined);
    expect(reread.map((line) => [line["level"], line["setting"], line["changed"]])).toEqual([
      ["info", "OPENAI_API_KEY", true],
      ["info", "DATABASE_URL", true],
      ["info", "OTEL_EXPORTER_OTLP_HEADERS", true],
    ]);

    // The provider rotates too: from now on it answers the new key only.
    svc.simulator.setApiKey(rotated.providerKey);
    const answer = await agent.execute("What is 6 * 7?", { bypassCache: true });
    outputs.push(toJsonString(ExecuteResponseSchema, answer));
    expect(answer.output).toContain("42");
    outputs.push(toJsonString(GetRunResponseSchema, await agent.getRun(answer.runId, { includeEvents: true })));
    const spans = await receiver.waitForSpans((received) => received.some((span) => span.traceId === answer.traceId && span.name.startsWith("chat ")));

    const everything = [...svc.rawLogs, json(spans), ...outputs].join("\n");
    for (const [name, value] of Object.entries({ ...secrets, ...Object.fromEntries(Object.entries(rotated).map(([k, v]) => [`rotated ${k}`, v])) })) {
      expect(everything.includes(value), `${name} leaked`).toBe(false);
    }
  });
});
