/**
 * A real MCP server over stdio, for tests: the service starts it as a child process
 * (`node --import tsx test/support/mcp/stdio-mcp-server.ts`). It writes its process id to
 * `MCP_PID_FILE` when set, so a test can kill it, and refuses to start while the file
 * `MCP_DOWN_FILE` exists, so a test can keep it down and then let it come back; it says why on
 * standard error, with its `MCP_TEST_TOKEN` in the line, as a careless server might. Besides the
 * test tools it offers `add_tool {}`, which adds the tool `late_greeting {name}` while connected:
 * the SDK then tells the client its list of tools changed (`notifications/tools/list_changed`).
 */
import { existsSync, writeFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
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
let added = false;
server.registerTool("add_tool", { description: "Adds the tool late_greeting to this server", inputSchema: {} }, () => {
  if (!added) {
    added = true;
    server.registerTool("late_greeting", { description: "Greets someone", inputSchema: { name: z.string().describe("Who to greet") } }, ({ name }) => ({
      content: [{ type: "text", text: `Hello, ${name}!` }],
    }));
  }
  return { content: [{ type: "text", text: "added late_greeting" }] };
});
await server.connect(new StdioServerTransport());
