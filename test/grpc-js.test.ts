import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "./support/test-service.js";

// An independent gRPC implementation that knows only the .proto files.
const definition = protoLoader.loadSync(["agent/v1/agent_service.proto", "grpc/health/v1/health.proto"], {
  includeDirs: [fileURLToPath(new URL("../proto", import.meta.url))],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  agent: { v1: { AgentService: grpc.ServiceClientConstructor } };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

type Json = Record<string, unknown>;

let svc: TestService;
let agent: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
let health: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

beforeAll(async () => {
  svc = await startTestService();
  const target = svc.url.replace("http://", "");
  agent = new loaded.agent.v1.AgentService(target, grpc.credentials.createInsecure()) as typeof agent;
  health = new loaded.grpc.health.v1.Health(target, grpc.credentials.createInsecure()) as typeof health;
});
afterAll(async () => {
  agent.close();
  health.close();
  await svc.close();
});

function unary(client: typeof agent, method: string, request: Json, metadata = new grpc.Metadata()): Promise<Json> {
  return new Promise((resolve, reject) => {
    client[method]?.(request, metadata, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: Json) =>
      err ? reject(err) : resolve(res),
    );
  });
}

describe("a @grpc/grpc-js client", () => {
  it("executes a task", async () => {
    const res = await unary(agent, "Execute", { input: "What is 17 * 23?" });
    expect(res["output"]).toContain("391");
    expect(res["stopReason"]).toBe("STOP_REASON_FINAL_ANSWER");
    expect(res["runId"]).toBeTruthy();
    expect(res["traceId"]).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(res["steps"])).toContain('"name":"calculator"');
  });

  it("streams a task's events in order", async () => {
    const call = agent["Stream"]?.({ input: "What is 17 * 23?" }) as grpc.ClientReadableStream<Json>;
    const kinds: string[] = [];
    for await (const event of call) {
      kinds.push(String((event as Json)["event"]));
    }
    expect(kinds[0]).toBe("runStarted");
    expect(kinds.indexOf("toolCallStarted")).toBeLessThan(kinds.indexOf("toolCallFinished"));
    expect(kinds.indexOf("toolCallFinished")).toBeLessThan(kinds.indexOf("textDelta"));
    expect(kinds.at(-1)).toBe("runCompleted");
  });

  it("gets INVALID_ARGUMENT with the broken rule for an empty input", async () => {
    const err = (await unary(agent, "Execute", { input: "" }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    // grpc-message is percent-encoded; grpc-js decodes it with decodeURI, which
    // leaves reserved characters such as ":" encoded, so decode fully here.
    expect(decodeURIComponent(err.details)).toMatch(/input: must not be empty/);
  });

  it.each(["", "agent.v1.AgentService"])("answers grpc.health.v1 Check for %j with SERVING", async (service) => {
    const res = await unary(health, "Check", { service });
    expect(res["status"]).toBe("SERVING");
  });

  it("answers NOT_FOUND to Check of an unknown service", async () => {
    const err = (await unary(health, "Check", { service: "nope.v1.Nope" }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.NOT_FOUND);
  });

  it("pushes the current status on Watch", async () => {
    const call = health["Watch"]?.({ service: "" }) as grpc.ClientReadableStream<Json>;
    const first = await new Promise<Json>((resolve, reject) => {
      call.once("data", resolve);
      call.once("error", reject);
    });
    expect(first["status"]).toBe("SERVING");
    call.cancel();
  });
});
