import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startHttpMcpServer, type HttpMcpServer } from "../../../../test/support/mcp/http-mcp-server.js";
import { defineTool } from "../agent-tool.js";
import { isToolRegistrationError } from "../tool-registration-error.js";
import { createToolRegistry, type ToolRegistry } from "../tool-registry.js";
import { createMcpServers } from "./mcp-servers.js";
import type { McpServerOptions } from "./mcp-server-options.js";

const logger = pino({ level: "silent" });
const clientInfo = { name: "agent-service-test", version: "0.0.0" };

/** A registry holding a built-in tool named `name`. */
function registryWith(name: string): ToolRegistry {
  return createToolRegistry([defineTool({ name, description: "built in", schema: z.object({}), invoke: async () => "" })]);
}

async function startFailure(start: () => Promise<void>): Promise<{ reason: string; message: string }> {
  try {
    await start();
  } catch (err) {
    if (isToolRegistrationError(err)) {
      return { reason: err.reason, message: err.message };
    }
    throw err;
  }
  throw new Error("expected start to fail");
}

let http: HttpMcpServer;
beforeAll(async () => {
  http = await startHttpMcpServer();
});
afterAll(() => http.stop());

describe("createMcpServers", () => {
  it("registers a connected server's tools with its prefix and unregisters them on close", async () => {
    const registry = registryWith("calculator");
    const servers = createMcpServers({ servers: [{ name: "weather", transport: { kind: "http", url: http.url }, prefix: "weather_" }], registry, clientInfo, logger });
    await servers.start();
    expect(registry.list().map((tool) => tool.name)).toEqual(["calculator", "weather_forecast", "weather_slow"]);
    expect(servers.status()).toEqual([{ name: "weather", transport: "http", state: "connected", toolCount: 2, lastError: undefined }]);
    await servers.close();
    expect(registry.list().map((tool) => tool.name)).toEqual(["calculator"]);
  });

  it("refuses at start a server whose tool has a built-in tool's name", async () => {
    const registry = registryWith("forecast");
    const servers = createMcpServers({ servers: [{ name: "weather", transport: { kind: "http", url: http.url } }], registry, clientInfo, logger });
    try {
      expect(await startFailure(() => servers.start())).toEqual({
        reason: "duplicate_name",
        message: expect.stringContaining('MCP server "weather" has a tool named "forecast", the name of a tool already registered') as unknown,
      });
      expect(registry.list().map((tool) => tool.name)).toEqual(["forecast"]);
    } finally {
      await servers.close();
    }
  });

  it.each<[string, McpServerOptions[], string]>([
    ["a built-in tool's", [{ name: "a", transport: { kind: "http", url: "http://127.0.0.1:9/mcp" }, tools: ["calculator"] }], 'allows the tool "calculator", which is also a built-in tool'],
    [
      "another server's",
      [
        { name: "a", transport: { kind: "http", url: "http://127.0.0.1:9/mcp" }, tools: ["forecast"], prefix: "w_" },
        { name: "b", transport: { kind: "http", url: "http://127.0.0.1:9/mcp" }, tools: ["forecast"], prefix: "w_" },
      ],
      'MCP server "b" allows the tool "w_forecast", which is also a tool of MCP server "a"',
    ],
  ])("refuses before connecting an allowed tool with %s name", async (_case, options, message) => {
    const servers = createMcpServers({ servers: options, registry: registryWith("calculator"), clientInfo, logger });
    try {
      expect((await startFailure(() => servers.start())).message).toContain(message);
      expect(servers.status().every((server) => server.state === "connecting")).toBe(true);
    } finally {
      await servers.close();
    }
  });

  it("starts without a server that is down, reporting it unavailable, and registers its tools once it answers", async () => {
    const late = await startHttpMcpServer();
    await late.stop();
    const registry = registryWith("calculator");
    const servers = createMcpServers({
      servers: [{ name: "late", transport: { kind: "http", url: late.url }, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } }],
      registry,
      clientInfo,
      logger,
    });
    try {
      await servers.start();
      expect(servers.status()[0]).toMatchObject({ state: "unavailable", toolCount: 0, lastError: expect.stringContaining("ECONNREFUSED") as unknown });
      expect(registry.get("forecast")).toBeUndefined();
      await late.start();
      await expect.poll(() => servers.status()[0]?.state, { timeout: 10_000 }).toBe("connected");
      expect(registry.get("forecast")).toBeDefined();
    } finally {
      await servers.close();
      await late.stop();
    }
  });
});
