import * as http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "./support/test-service.js";

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

/** A Connect unary Execute that accepts gzip; resolves with the response's content-encoding and body size. */
function execute(url: string): Promise<{ status: number; encoding: string | undefined; bytes: number }> {
  return new Promise((resolve, reject) => {
    // A long answer: its response is several KiB, over connect-node's own 1 KiB threshold.
    const body = JSON.stringify({ input: "#words 300", bypassCache: true });
    const req = http.request(
      new URL("/agent.v1.AgentService/Execute", url),
      { method: "POST", agent: false, headers: { "content-type": "application/json", "accept-encoding": "gzip" } },
      (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => (bytes += chunk.byteLength));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, encoding: res.headers["content-encoding"], bytes }));
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

describe("response compression", () => {
  it("leaves answers under HTTP_COMPRESS_MIN_BYTES uncompressed, as compressing them costs more than it saves", async () => {
    svc = await startTestService();
    const res = await execute(svc.url);
    expect(res.status).toBe(200);
    expect(res.bytes).toBeGreaterThan(2_048);
    expect(res.encoding).toBeUndefined();
  });

  it("compresses answers from HTTP_COMPRESS_MIN_BYTES up for clients that accept it", async () => {
    svc = await startTestService({ HTTP_COMPRESS_MIN_BYTES: "256" });
    const res = await execute(svc.url);
    expect(res.status).toBe(200);
    expect(res.encoding).toBe("gzip");
  });
});
