import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrdersService } from "../examples/two-services/orders-service.js";
import { childrenOf, findSpan, startOtlpReceiver, type OtlpReceiver } from "./support/otlp/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

let receiver: OtlpReceiver;
let agent: TestService;
let orders: Awaited<ReturnType<typeof startOrdersService>>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  agent = await startTestService({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "50" });
  orders = await startOrdersService({
    agentUrl: agent.url,
    otlpTracesUrl: `${receiver.url}/v1/traces`,
    port: 0,
    exportDelayMs: 50,
  });
});
afterAll(async () => {
  await orders.stop();
  await agent.close();
  await receiver.close();
});

describe("a caller service and the agent service", () => {
  it("land in one trace: the caller's request, the SDK's client span, then the agent's spans", async () => {
    const res = await fetch(`${orders.url}/summary?sku=SKU-1001`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { answer: string; traceId: string };
    expect(body.answer).toMatch(/SKU-1001/);

    // Both services export on their own schedule: wait for the server span of each.
    const spans = await receiver.waitForSpans((all) =>
      ["orders-service", "agent-service"].every((service) =>
        all.some((s) => s.traceId === body.traceId && s.resource["service.name"] === service && s.kind === "server"),
      ),
    );
    const trace = spans.filter((s) => s.traceId === body.traceId);
    const request = findSpan(trace, "GET /summary");
    expect(request.resource["service.name"]).toBe("orders-service");
    expect(request.parentSpanId).toBeUndefined();

    const clientCall = childrenOf(trace, request).find((s) => s.name === "agent.v1.AgentService/Execute");
    expect(clientCall?.kind).toBe("client");
    expect(clientCall?.resource["service.name"]).toBe("orders-service");

    const serverCall = trace.find((s) => s.kind === "server" && s.resource["service.name"] === "agent-service");
    expect(serverCall?.parentSpanId).toBe(clientCall?.spanId);
    // The SDK sends an idempotency key with every call, so the service claims it in the store
    // before the run starts: that store call and the run are the server span's two children.
    expect(
      childrenOf(trace, serverCall ?? request)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["invoke_agent agent-service", "store.claim_idempotency_key"]);
    expect(trace.some((s) => s.name === "execute_tool inventory_lookup")).toBe(true);
  });
});
