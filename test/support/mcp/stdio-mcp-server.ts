/**
 * A real MCP server over stdio, for tests: the service starts it as a child process
 * (`node --import tsx test/support/mcp/stdio-mcp-server.ts`). It writes its process id to
 * `MCP_PID_FILE` when set, so a test can kill it, and refuses to start while the file
 * `MCP_DOWN_FILE` exists, so a test can keep it down and then let it come back; it says why on
 * standard error, with its `MCP_TEST_TOKEN` in the line, as a careless server might.
 */
import { existsSync, writeFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { registerTestTools } from "./test-mcp-tools.js";

const downFile = process.env["MCP_DOWN_FILE"];
if (downFile !== undefined && existsSync(downFile)) {
  process.stderr.write(`not starting: ${downFile} exists (token ${process.env["MCP_TEST_TOKEN"] ?? "none"})\n`);
  process.exit(1);
}
const pidFile = process.env["MCP_PID_FILE"];
if (pidFile !== undefined) {
  writeFileSync(pidFile, String(process.pid));
}
const server = new McpServer({ name: "test-stdio-server", version: "1.0.0" });
registerTestTools(server);
await server.connect(new StdioServerTransport());
