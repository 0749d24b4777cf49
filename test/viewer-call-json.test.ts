import { fromJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StopReasonSchema } from "../gen/agent/v1/run_pb.js";
import { ListRunsResponseSchema, RunService, RunStatusSchema } from "../gen/agent/v1/run_service_pb.js";
import { CallError, getCaller, jsonMethods, listRuns } from "../viewer/src/call-json.js";
import { enumJson } from "../viewer/src/enum-json.js";
import { errorMessageOf } from "../viewer/src/failure.js";
import { listedRun } from "../viewer/src/run-json.js";
import { startTestService, type TestService } from "./support/test-service.js";
import { serviceClients } from "./support/viewer/viewer-service.js";

// The viewer's Connect-JSON calls (the runs list and the sign-in, without the Protobuf runtime)
// against the real service: answers, every kind of failure as a CallError with the protocol's
// code, and the list's rows read from the JSON as the Protobuf runtime reads the same answer.

const key = randomBytes(24).toString("base64url");
let dir: string;
let svc: TestService;
/** A server that answers every request with a 502 and an HTML page, as a proxy in front might. */
let proxy: Server;
let proxyUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-call-json-"));
  const keysFile = join(dir, "keys.json");
  await writeFile(keysFile, JSON.stringify([{ principal: "ops", roles: ["admin"], sha256: createHash("sha256").update(key).digest("hex") }]));
  svc = await startTestService({ AGENT_API_KEYS_FILE: keysFile });
  const clients = serviceClients(svc.url, key);
  await clients.agent.execute({ input: "What is 17 * 23?" });
  await clients.agent.execute({ input: "Hello! Who are you?" });
  proxy = createServer((_req, res) => res.writeHead(502, { "content-type": "text/html" }).end("<html>Bad gateway</html>"));
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await svc?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The CallError `call` rejects with. */
async function failure(call: Promise<unknown>): Promise<CallError> {
  const err: unknown = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(err instanceof CallError)) {
    throw new Error(`expected a CallError, got ${String(err)}`);
  }
  return err;
}

describe("the viewer's JSON calls", () => {
  it("call the service's own methods", () => {
    expect(jsonMethods.getCaller).toBe(`${RunService.typeName}/${RunService.method.getCaller.name}`);
    expect(jsonMethods.listRuns).toBe(`${RunService.typeName}/${RunService.method.listRuns.name}`);
  });

  it("answer with the JSON the Protobuf runtime reads, and the list's rows say what the messages say", async () => {
    expect(await getCaller({}, { baseUrl: svc.url, token: key })).toEqual({ principal: "ops", roles: ["caller", "admin"] });
    const page = await listRuns({ pageSize: 10 }, { baseUrl: svc.url, token: key });
    const decoded = fromJson(ListRunsResponseSchema, page);
    expect(decoded.runs.length).toBeGreaterThanOrEqual(2);
    const rows = (page.runs ?? []).map(listedRun);
    expect(rows.map((row) => row.runId)).toEqual(decoded.runs.map((run) => run.runId));
    for (const [index, run] of decoded.runs.entries()) {
      const row = rows[index];
      expect(row?.status).toBe(enumJson(RunStatusSchema, run.status));
      expect(row?.stopReason).toBe(enumJson(StopReasonSchema, run.stopReason));
      expect(row?.startedAtMs).toBe(run.startedAt === undefined ? undefined : timestampMs(run.startedAt));
      expect(row?.endedAtMs).toBe(run.endedAt === undefined ? undefined : timestampMs(run.endedAt));
      expect(row?.totalTokens).toBe(run.usage?.totalTokens ?? 0);
      expect(row?.totalTokens).toBeGreaterThan(0);
      expect(row?.costUsd).toBe(run.costUsd);
      expect(row).toMatchObject({ model: run.model, principal: run.principal, promptVersion: run.promptVersion, fallbackUsed: run.fallbackUsed });
    }
  });

  it("fail with the protocol's code and the service's message", async () => {
    const refused = await failure(listRuns({ pageSize: 10 }, { baseUrl: svc.url, token: "not-a-key" }));
    expect(refused.code).toBe("unauthenticated");
    expect(errorMessageOf(refused)).toMatch(/^Not signed in: /);
    const none = await failure(getCaller({}, { baseUrl: svc.url }));
    expect(none.code).toBe("unauthenticated");
    const invalid = await failure(listRuns({ pageSize: 10, pageToken: "not a page token" }, { baseUrl: svc.url, token: key }));
    expect(invalid.code).toBe("invalid_argument");
    expect(invalid.rawMessage).not.toBe("");
    expect(errorMessageOf(invalid)).toBe(`${invalid.rawMessage} (invalid_argument)`);
  });

  it("fail as unavailable when the service cannot be reached or a proxy answers instead", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await failure(listRuns({}, { baseUrl: `http://127.0.0.1:${port}` }));
    expect(unreachable.code).toBe("unavailable");
    expect(errorMessageOf(unreachable)).toMatch(/^The service is unavailable: /);
    const gateway = await failure(listRuns({}, { baseUrl: proxyUrl }));
    expect([gateway.code, gateway.rawMessage]).toEqual(["unavailable", "HTTP 502"]);
  });

  it("end with an abort, not a failure, when the page aborts the call", async () => {
    const controller = new AbortController();
    const call = listRuns({ pageSize: 10 }, { baseUrl: svc.url, token: key, signal: controller.signal });
    controller.abort();
    const err: unknown = await call.catch((reason: unknown) => reason);
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe("AbortError");
  });
});
