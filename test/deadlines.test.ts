import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { StopReason } from "../gen/agent/v1/run_pb.js";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc.close();
});

// The deadline is sent as a raw header: a client given such a timeout would overflow its own timer first.
describe.each<{ protocol: string; transport: () => Transport; header: Record<string, string> }>([
  { protocol: "gRPC", transport: () => createGrpcTransport({ baseUrl: svc.url }), header: { "grpc-timeout": "2147484S" } },
  {
    protocol: "Connect over HTTP/2",
    transport: () => createConnectTransport({ baseUrl: svc.url, httpVersion: "2" }),
    header: { "connect-timeout-ms": "9999999999" },
  },
  {
    protocol: "Connect over HTTP/1.1",
    transport: () => createConnectTransport({ baseUrl: svc.url, httpVersion: "1.1" }),
    header: { "connect-timeout-ms": "2147483648" },
  },
])("a deadline above 2^31−1 ms over $protocol", ({ transport, header }) => {
  it("is cut to the maximum run time, so the run completes (regression: long deadlines expired at once)", async () => {
    const client = createClient(AgentService, transport());
    const res = await client.execute({ input: "What is 17 * 23?" }, { headers: header });
    expect(res.stopReason).toBe(StopReason.FINAL_ANSWER);
    expect(res.output).toContain("391");
  });
});
