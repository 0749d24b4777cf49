import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "./support/test-service.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const buf = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

describe("buf curl, as the README shows it", () => {
  it("streams the events over gRPC with the local schema", async () => {
    const { stdout } = await run(
      buf,
      [
        "curl",
        "--schema",
        "proto",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        "-d",
        '{"input":"What is 17 * 23?"}',
        `${svc.url}/agent.v1.AgentService/Stream`,
      ],
      { cwd: root },
    );
    const kinds = [...stdout.matchAll(/^ {2}"(\w+)": \{/gm)].map((m) => m[1]);
    expect(kinds[0]).toBe("runStarted");
    expect(kinds.indexOf("toolCallStarted")).toBeLessThan(kinds.indexOf("toolCallFinished"));
    expect(kinds.indexOf("toolCallFinished")).toBeLessThan(kinds.indexOf("textDelta"));
    expect(kinds.at(-1)).toBe("runCompleted");
    expect(stdout).toContain("391");
  });

  it("checks grpc.health.v1", async () => {
    const { stdout } = await run(
      buf,
      ["curl", "--schema", "proto", "--protocol", "grpc", "--http2-prior-knowledge", `${svc.url}/grpc.health.v1.Health/Check`],
      { cwd: root },
    );
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });
});
