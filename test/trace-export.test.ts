import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createAgentClient } from "../client/index.js";
import type { JaegerFile } from "../server/telemetry/jaeger-trace.js";
import { startTestService } from "./support/test-service.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));

describe("a stored run's trace", () => {
  it("is written to the span file and exported as Jaeger UI JSON by the command", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spans-"));
    const spanFile = join(dir, "spans.jsonl");
    const svc = await startTestService({ AGENT_TRACE_FILE: spanFile, OTEL_BSP_SCHEDULE_DELAY: "20" });
    const client = createAgentClient({ baseUrl: svc.url });
    let traceId: string;
    try {
      traceId = (await client.execute("What is 17 * 23?")).traceId;
      // The server span ends last; once it is in the file, the whole run is.
      await expect
        .poll(() => {
          try {
            return readFileSync(spanFile, "utf8").includes(`"traceId":"${traceId}","spanId"`) &&
              readFileSync(spanFile, "utf8").includes('"name":"agent.v1.AgentService/Execute"');
          } catch {
            return false;
          }
        })
        .toBe(true);
    } finally {
      client.close();
      await svc.close();
    }
    expect(statSync(spanFile).mode & 0o777).toBe(0o600);

    const out = join(dir, "trace.json");
    const { stdout } = await run(process.execPath, ["--import", "tsx", "server/trace-export.ts", traceId, "--file", spanFile, "--out", out], {
      cwd: root,
    });
    expect(stdout).toMatch(new RegExp(`^wrote \\d+ spans of trace ${traceId} to ${out}`));
    const jaeger = JSON.parse(readFileSync(out, "utf8")) as JaegerFile;
    expect(jaeger.data).toHaveLength(1);
    const trace = jaeger.data[0];
    expect(trace?.traceID).toBe(traceId);
    const names = trace?.spans.map((s) => s.operationName) ?? [];
    expect(names).toEqual(
      expect.arrayContaining(["agent.v1.AgentService/Execute", "invoke_agent agent-service", "chat sim-small", "execute_tool calculator", "POST"]),
    );
    const byId = new Map(trace?.spans.map((s) => [s.spanID, s]));
    const agent = trace?.spans.find((s) => s.operationName === "invoke_agent agent-service");
    expect(byId.get(agent?.references[0]?.spanID ?? "")?.operationName).toBe("agent.v1.AgentService/Execute");
    expect(Object.values(trace?.processes ?? {}).map((p) => p.serviceName)).toEqual(["agent-service"]);
  });
});
