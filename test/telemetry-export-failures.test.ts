import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { createAgentClient } from "../client/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("OTLP exports", () => {
  it("log when they fail (regression: a collector that is down was never mentioned)", async () => {
    const port = await closedPort();
    svc = await startTestService({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: "20",
      OTEL_METRIC_EXPORT_INTERVAL: "1000",
    });
    const client = createAgentClient({ baseUrl: svc.url });
    try {
      await client.execute("Hello there");
      const failures = () => svc?.logs.filter((l) => String(l["msg"]).startsWith("OTLP ")).map((l) => [l["level"], l["signal"]]);
      await expect.poll(failures, { timeout: 20_000 }).toEqual(expect.arrayContaining([["warn", "traces"], ["warn", "metrics"]]));
    } finally {
      client.close();
    }
  }, 30_000);
});
