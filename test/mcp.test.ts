import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService, McpServerState, McpTransport, ServingStatus, type ExecuteResponse } from "../gen/agent/v1/agent_service_pb.js";
import { StopReason, ToolCallStatus, type ToolCall } from "../gen/agent/v1/run_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { startHttpMcpServer, type HttpMcpServer } from "./support/mcp/http-mcp-server.js";
import { startTestService, type TestService } from "./support/test-service.js";

const repoRoot = join(import.meta.dirname, "..");
const stdioServerScript = join(import.meta.dirname, "support", "mcp", "stdio-mcp-server.ts");
const firstToken = "mcp-token-first-0123456789";
const secondToken = "mcp-token-second-9876543210";
/** The stdio server's own secret, which it prints when it refuses to start. */
const localToken = "mcp-local-token-5647382910";
/**
 * Fast pings and short backoff, so that losses and returns show in Health within a moment; a long
 * connect timeout, because a stdio server here is Node.js loading TypeScript, which takes seconds
 * on a busy machine.
 */
const quick = { pingIntervalMs: 200, connectTimeoutMs: 30_000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } };

let dir: string;
let http: HttpMcpServer;
let svc: TestService;
let client: Client<typeof AgentService>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-mcp-"));
  http = await startHttpMcpServer();
  writeFileSync(join(dir, "token"), `${firstToken}\n`);
  writeFileSync(
    join(dir, "mcp-servers.json"),
    JSON.stringify({
      servers: [
        {
          name: "local",
          // The pinned Node.js that runs the tests, loading TypeScript through tsx.
          command: process.execPath,
          args: ["--import", "tsx", stdioServerScript],
          cwd: repoRoot,
          env: { MCP_PID_FILE: join(dir, "stdio.pid"), MCP_DOWN_FILE: join(dir, "stdio.down"), MCP_TEST_TOKEN: { env: "LOCAL_MCP_TOKEN" } },
          prefix: "local_",
          ...quick,
        },
        {
          name: "remote",
          url: http.url,
          headers: { Authorization: { env: "WEATHER_TOKEN", prefix: "Bearer " } },
          prefix: "remote_",
          ...quick,
        },
        // The same server again, allowing only its slow tool, with a short timeout.
        { name: "remote_hasty", url: http.url, tools: ["slow"], prefix: "hasty_", timeoutMs: 500, ...quick },
      ],
    }),
  );
  svc = await startTestService({
    AGENT_CACHE: "off",
    AGENT_MCP_SERVERS_FILE: join(dir, "mcp-servers.json"),
    WEATHER_TOKEN_FILE: join(dir, "token"),
    LOCAL_MCP_TOKEN: localToken,
  });
  client = createClient(AgentService, createGrpcTransport({ baseUrl: svc.url }));
}, 60_000);

afterAll(async () => {
  await svc?.close();
  await http?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function toolCallsOf(response: ExecuteResponse): ToolCall[] {
  return response.steps.flatMap((step) => (step.kind.case === "toolCall" ? [step.kind.value] : []));
}

async function mcpServer(name: string) {
  return (await client.health({})).mcpServers.find((server) => server.name === name);
}

describe("tools of MCP servers", () => {
  it("reports every configured server connected in Health, with its transport and tools", async () => {
    const health = await client.health({});
    // Start-up waited for each first attempt, and none failed.
    expect(health.mcpServers.map(({ name, transport, state, toolCount }) => ({ name, transport, state, toolCount }))).toEqual([
      { name: "local", transport: McpTransport.STDIO, state: McpServerState.CONNECTED, toolCount: 3 },
      { name: "remote", transport: McpTransport.STREAMABLE_HTTP, state: McpServerState.CONNECTED, toolCount: 2 },
      { name: "remote_hasty", transport: McpTransport.STREAMABLE_HTTP, state: McpServerState.CONNECTED, toolCount: 1 },
    ]);
    const metrics = await (await fetch(svc.service.metricsUrl ?? "")).text();
    expect(metrics).toMatch(/^agent_mcp_servers\{agent_mcp_state="connected"[^}]*\} 3$/m);
    expect(metrics).toMatch(/^agent_mcp_servers\{agent_mcp_state="unavailable"[^}]*\} 0$/m);
  });

  it.each([
    ["stdio", "local_forecast"],
    ["streamable HTTP", "remote_forecast"],
  ])("calls a tool over %s and gives the model its real result", async (_transport, tool) => {
    const response = await client.execute({ input: `Weather, please: #call ${tool} {"city": "Oslo", "days": 3}` });
    const [call] = toolCallsOf(response);
    expect(call).toMatchObject({ name: tool, status: ToolCallStatus.OK, result: "Forecast for Oslo: sunny, 21 °C, for 3 days" });
    expect(response.output).toContain("Forecast for Oslo: sunny, 21 °C, for 3 days");
    expect(response.stopReason).toBe(StopReason.FINAL_ANSWER);
  });

  it("sends the header its configuration reads from a secret file", () => {
    // Sessions for "remote" (with the header) and for "remote_hasty" (without), opened at start-up.
    expect(http.authorizations()).toContain(`Bearer ${firstToken}`);
    expect(new Set(http.authorizations())).toEqual(new Set([`Bearer ${firstToken}`, undefined]));
  });

  it("refuses arguments that break the server's schema before the server is called", async () => {
    const before = http.forecastCalls();
    const response = await client.execute({ input: '#call remote_forecast {"city": 3, "days": 9}' });
    const calls = toolCallsOf(response);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.status).toBe(ToolCallStatus.INVALID_ARGUMENTS);
      expect(call.result).toContain("invalid arguments for remote_forecast");
      expect(call.result).toContain("city: must be string");
      expect(call.result).toContain("days: must be <= 7");
    }
    expect(http.forecastCalls()).toBe(before);
  });

  it("stops a slow tool at its timeout and cancels the call on the server", async () => {
    const canceled = once(http.events, "slow-canceled");
    const response = await client.execute({ input: "#call hasty_slow {}" });
    const [call] = toolCallsOf(response);
    expect(call).toMatchObject({ name: "hasty_slow", status: ToolCallStatus.TIMEOUT });
    expect(call?.result).toContain("did not finish within 500 ms");
    await canceled;
  });

  it("cancels the call on the server when the caller cancels the run", async () => {
    const started = once(http.events, "slow-started");
    const canceled = once(http.events, "slow-canceled");
    const caller = new AbortController();
    const reading = (async () => {
      for await (const _event of client.stream({ input: "#call remote_slow {}" }, { signal: caller.signal })) {
        // Read until the caller cancels.
      }
    })();
    await started;
    caller.abort();
    await expect(reading).rejects.toThrow(/cancel|abort/i);
    await canceled;
  });

  it("reports a stopped HTTP server unavailable, keeps other runs working, and offers its tools again once it is back", async () => {
    await http.stop();
    await expect.poll(async () => (await mcpServer("remote"))?.state, { timeout: 10_000 }).toBe(McpServerState.UNAVAILABLE);
    await expect.poll(async () => (await mcpServer("remote_hasty"))?.state, { timeout: 10_000 }).toBe(McpServerState.UNAVAILABLE);
    const down = await mcpServer("remote");
    expect(down?.toolCount).toBe(0);
    expect(down?.lastError).not.toBe("");
    expect(down?.lastError).not.toContain(firstToken);

    // The service still serves: an optional server does not make it NOT_SERVING.
    const health = await client.health({});
    expect(health.status).toBe(ServingStatus.SERVING);
    const grpcHealth = createClient(Health, createGrpcTransport({ baseUrl: svc.url }));
    expect((await grpcHealth.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);

    // A run with a built-in tool succeeds; the server's tools are not offered meanwhile.
    const builtin = await client.execute({ input: "What is 17 * 23?" });
    expect(builtin.output).toContain("391");
    const withoutTool = await client.execute({ input: '#call remote_forecast {"city": "Oslo"}' });
    expect(toolCallsOf(withoutTool)).toEqual([]);
    expect(withoutTool.stopReason).toBe(StopReason.FINAL_ANSWER);

    // The secret is rotated while the server is down: the next connection sends the new value.
    writeFileSync(join(dir, "token"), `${secondToken}\n`);
    await svc.service.reload();
    const sessionsBefore = http.authorizations().length;
    await http.start();
    await expect.poll(async () => (await mcpServer("remote"))?.state, { timeout: 10_000 }).toBe(McpServerState.CONNECTED);
    const sentSince = http.authorizations().slice(sessionsBefore).filter((header) => header !== undefined);
    expect(sentSince).toContain(`Bearer ${secondToken}`);
    expect(sentSince).not.toContain(`Bearer ${firstToken}`);
    const back = await client.execute({ input: '#call remote_forecast {"city": "Oslo"}' });
    expect(toolCallsOf(back)[0]).toMatchObject({ status: ToolCallStatus.OK, result: "Forecast for Oslo: sunny, 21 °C, for 1 day" });
  });

  it("offers a tool the server adds while connected, once the server says its list of tools changed", async () => {
    expect((await mcpServer("local"))?.toolCount).toBe(3);
    const adding = await client.execute({ input: "#call local_add_tool {}" });
    expect(toolCallsOf(adding)[0]).toMatchObject({ status: ToolCallStatus.OK, result: "added late_greeting" });
    await expect.poll(async () => (await mcpServer("local"))?.toolCount, { timeout: 10_000 }).toBe(4);
    const greeted = await client.execute({ input: '#call local_late_greeting {"name": "Ada"}' });
    expect(toolCallsOf(greeted)[0]).toMatchObject({ name: "local_late_greeting", status: ToolCallStatus.OK, result: "Hello, Ada!" });
    // The other tools are still offered, once each.
    const forecast = await client.execute({ input: '#call local_forecast {"city": "Oslo"}' });
    expect(toolCallsOf(forecast)[0]).toMatchObject({ status: ToolCallStatus.OK, result: "Forecast for Oslo: sunny, 21 °C, for 1 day" });
  });

  it("reports a killed stdio server unavailable while it cannot start, and restarts it once it can", async () => {
    const pid = Number(readFileSync(join(dir, "stdio.pid"), "utf8"));
    writeFileSync(join(dir, "stdio.down"), "");
    process.kill(pid, "SIGKILL");
    await expect.poll(async () => (await mcpServer("local"))?.state, { timeout: 10_000 }).toBe(McpServerState.UNAVAILABLE);
    const down = await mcpServer("local");
    expect(down?.toolCount).toBe(0);
    expect(down?.lastError).not.toBe("");

    const builtin = await client.execute({ input: "What is 17 * 23?" });
    expect(builtin.output).toContain("391");
    // The attempts to restart it meanwhile: each process said why it would not start, and that was logged.
    await expect
      // Each attempt starts Node.js with tsx, which takes seconds on a busy machine.
      .poll(() => svc.logs.some((line) => line["mcp_server"] === "local" && String(line["stderr"]).startsWith("not starting:")), { timeout: 20_000 })
      .toBe(true);
    // The token the server printed is not in the logs: the line is there, without it.
    const said = svc.logs.filter((line) => line["mcp_server"] === "local" && String(line["stderr"]).startsWith("not starting:"));
    expect(said.every((line) => String(line["stderr"]).endsWith("(token [redacted])"))).toBe(true);
    expect(svc.logs.some((line) => JSON.stringify(line).includes(localToken))).toBe(false);

    rmSync(join(dir, "stdio.down"));
    await expect.poll(async () => (await mcpServer("local"))?.state, { timeout: 20_000 }).toBe(McpServerState.CONNECTED);
    expect(Number(readFileSync(join(dir, "stdio.pid"), "utf8"))).not.toBe(pid);
    const back = await client.execute({ input: '#call local_forecast {"city": "Oslo"}' });
    expect(toolCallsOf(back)[0]).toMatchObject({ status: ToolCallStatus.OK, result: "Forecast for Oslo: sunny, 21 °C, for 1 day" });
  });
});
