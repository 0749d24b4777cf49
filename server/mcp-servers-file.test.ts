import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isConfigError, loadConfig } from "./config.js";
import { parseMcpServersFile, readMcpServersFile } from "./mcp-servers-file.js";

const dir = mkdtempSync(join(tmpdir(), "mcp-servers-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (document: unknown, env: Record<string, string> = {}) => parseMcpServersFile(JSON.stringify(document), "json", "mcp.json", env);

describe("the MCP servers file", () => {
  it("reads a stdio and an HTTP server with every field", () => {
    const file = parse(
      {
        servers: [
          { name: "files", command: "npx", args: ["-y", "server-files"], env: { LOG: "info", KEY: { env: "FILES_KEY" } }, cwd: "/srv", prefix: "files_" },
          {
            name: "weather",
            url: "https://weather.internal/mcp",
            headers: { Authorization: { env: "WEATHER_TOKEN", prefix: "Bearer " }, "X-Team": "agents" },
            timeoutMs: 5000,
            tools: ["forecast"],
            connectTimeoutMs: 3000,
            pingIntervalMs: 10000,
            reconnect: { initialDelayMs: 100, maxDelayMs: 5000 },
          },
        ],
      },
      { FILES_KEY: "files-key-value", WEATHER_TOKEN: "weather-token-value" },
    );
    expect(file.secretNames).toEqual(["FILES_KEY", "WEATHER_TOKEN"]);
    expect(file.servers[0]).toEqual({
      name: "files",
      transport: {
        kind: "stdio",
        command: "npx",
        args: ["-y", "server-files"],
        env: { LOG: { kind: "text", text: "info" }, KEY: { kind: "secret", env: "FILES_KEY", prefix: "", initial: "files-key-value" } },
        cwd: "/srv",
      },
      timeoutMs: undefined,
      tools: undefined,
      prefix: "files_",
      connectTimeoutMs: undefined,
      pingIntervalMs: undefined,
      reconnect: { initialDelayMs: undefined, maxDelayMs: undefined },
    });
    expect(file.servers[1]).toMatchObject({
      name: "weather",
      transport: {
        kind: "http",
        url: "https://weather.internal/mcp",
        headers: {
          Authorization: { kind: "secret", env: "WEATHER_TOKEN", prefix: "Bearer ", initial: "weather-token-value" },
          "X-Team": { kind: "text", text: "agents" },
        },
      },
      timeoutMs: 5000,
      tools: ["forecast"],
      reconnect: { initialDelayMs: 100, maxDelayMs: 5000 },
    });
  });

  it("reads a secret value from NAME_FILE", () => {
    const token = join(dir, "token");
    writeFileSync(token, "from-the-file-0123\n");
    const file = parse({ servers: [{ name: "w", url: "http://127.0.0.1:9/mcp", headers: { Authorization: { env: "TOKEN" } } }] }, { TOKEN_FILE: token });
    expect(file.servers[0]?.transport).toMatchObject({ headers: { Authorization: { kind: "secret", initial: "from-the-file-0123" } } });
  });

  it("reads YAML from a .yaml file", () => {
    const path = join(dir, "servers.yaml");
    writeFileSync(path, "servers:\n  - name: weather\n    url: http://127.0.0.1:9000/mcp\n    tools: [forecast]\n");
    expect(readMcpServersFile(path, {}).servers[0]).toMatchObject({ name: "weather", tools: ["forecast"] });
  });

  it.each([
    ["neither command nor url", { servers: [{ name: "a" }] }, 'servers[0]: must have either "command" (a stdio server) or "url" (a streamable HTTP server)'],
    ["both command and url", { servers: [{ name: "a", command: "x", url: "http://h/mcp" }] }, 'servers[0]: must have either "command"'],
    ["a bad name", { servers: [{ name: "a b", command: "x" }] }, 'servers[0].name: must be 1 to 64 letters, digits, "_" or "-"'],
    ["a server named twice", { servers: [{ name: "a", command: "x" }, { name: "a", command: "y" }] }, "servers: must not name a server twice"],
    ["a URL that is not http(s)", { servers: [{ name: "a", url: "ftp://h/mcp" }] }, "servers[0].url: must be an http(s) URL"],
    ["credentials in the URL", { servers: [{ name: "a", url: "https://user:pw@h/mcp" }] }, 'servers[0].url: must not carry credentials: send them in "headers"'],
    ["headers on a stdio server", { servers: [{ name: "a", command: "x", headers: { A: "b" } }] }, 'servers[0].headers: is for an HTTP server ("url")'],
    ["env on an HTTP server", { servers: [{ name: "a", url: "http://h/mcp", env: { A: "b" } }] }, 'servers[0].env: is for a stdio server ("command")'],
    ["a bad secret reference", { servers: [{ name: "a", url: "http://h/mcp", headers: { A: { file: "x" } } }] }, 'servers[0].headers.A: must be a string, or {"env": "NAME"}'],
    ["a header value with a line break", { servers: [{ name: "a", url: "http://h/mcp", headers: { A: "b\r\nX-Evil: 1" } }] }, "servers[0].headers.A"],
    ["an empty allow-list", { servers: [{ name: "a", command: "x", tools: [] }] }, "servers[0].tools: must list at least one tool"],
    ["a bad prefix", { servers: [{ name: "a", command: "x", prefix: "we ather" }] }, "servers[0].prefix: must be 1 to 32 letters"],
    ["a timeout of 0", { servers: [{ name: "a", command: "x", timeoutMs: 0 }] }, "servers[0].timeoutMs"],
    ["an unknown field", { servers: [{ name: "a", command: "x", timeout: 5 }] }, 'servers[0]: Unrecognized key: "timeout"'],
    ["no servers list", { mcpServers: {} }, "(file)"],
  ])("refuses %s, naming the file and the field", (_case, document, message) => {
    expect(() => parse(document)).toThrow(`mcp.json: `);
    expect(() => parse(document)).toThrow(message);
  });

  it("refuses a secret whose variable is not set, naming it and never a value", () => {
    expect(() => parse({ servers: [{ name: "a", url: "http://h/mcp", headers: { Authorization: { env: "MISSING_TOKEN" } } }] })).toThrow(
      "mcp.json: servers[0].headers.Authorization: reads MISSING_TOKEN, which is not set (set it, or MISSING_TOKEN_FILE)",
    );
  });

  it("refuses a file that does not parse, with the line of the error", () => {
    expect(() => parseMcpServersFile("servers:\n  - name: [", "yaml", "mcp.yaml", {})).toThrow(/^mcp\.yaml is not valid YAML: .*line 2/s);
  });
});

describe("AGENT_MCP_SERVERS_FILE", () => {
  it("is none by default", () => {
    expect(loadConfig({}).mcpServers).toEqual([]);
  });

  it("names the variable of a bad file, and its secrets' files become rereadable", () => {
    const good = join(dir, "good.json");
    const token = join(dir, "good-token");
    writeFileSync(token, "token-value-0123456");
    writeFileSync(good, JSON.stringify({ servers: [{ name: "w", url: "http://127.0.0.1:9/mcp", headers: { Authorization: { env: "W_TOKEN" } } }] }));
    const config = loadConfig({ AGENT_MCP_SERVERS_FILE: good, W_TOKEN_FILE: token });
    expect(config.mcpServers.map((server) => server.name)).toEqual(["w"]);
    expect(config.secretFiles["W_TOKEN"]).toBe(token);

    const problems = (() => {
      try {
        loadConfig({ AGENT_MCP_SERVERS_FILE: join(dir, "missing.json") });
        return [];
      } catch (err) {
        return isConfigError(err) ? err.problems : [String(err)];
      }
    })();
    expect(problems).toEqual([`AGENT_MCP_SERVERS_FILE: cannot read ${join(dir, "missing.json")} (ENOENT)`]);
  });
});
