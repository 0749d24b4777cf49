import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConfigError, loadConfig } from "../config.js";
import { corsAllowedHeaders, corsExposedHeaders, createCorsHandler, originProblem } from "./cors.js";

const allowedOrigin = "http://127.0.0.1:5173";

/** A server with the CORS handler in front of a stand-in router that, like connect-node's, refuses OPTIONS with 405. */
async function serverWith(allowedOrigins: readonly string[]): Promise<{ url: string; close: () => Promise<void> }> {
  const cors = createCorsHandler({ allowedOrigins });
  const server = http.createServer((req, res) => {
    if (cors?.(req, res) === true) {
      return;
    }
    req.resume();
    res.writeHead(req.method === "OPTIONS" ? 405 : 200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const rpcPath = "/agent.v1.AgentService/Execute";
const preflight = (origin: string) => ({
  method: "OPTIONS",
  headers: {
    origin,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization,connect-protocol-version,content-type,traceparent",
  },
});

describe("CORS with allowed origins", () => {
  let server: Awaited<ReturnType<typeof serverWith>>;
  beforeAll(async () => {
    server = await serverWith([allowedOrigin, "https://app.example.com"]);
  });
  afterAll(() => server.close());

  it("answers an allowed origin's preflight with 204 and what it may send", async () => {
    const res = await fetch(server.url + rpcPath, preflight(allowedOrigin));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(allowedOrigin);
    expect(res.headers.get("access-control-allow-methods")).toBe("POST, GET");
    const allowedHeaders = res.headers.get("access-control-allow-headers")?.toLowerCase().split(", ");
    expect(allowedHeaders).toEqual(expect.arrayContaining(["authorization", "traceparent", "tracestate", "content-type", "connect-protocol-version", "x-grpc-web", "grpc-timeout"]));
    expect(res.headers.get("access-control-max-age")).toBe("7200");
    expect(res.headers.get("vary")).toBe("Origin");
    expect(await res.text()).toBe("");
  });

  it("refuses a preflight from any other origin with 403 and no Allow-Origin", async () => {
    const res = await fetch(server.url + rpcPath, preflight("http://127.0.0.1:6666"));
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-headers")).toBeNull();
    expect(res.headers.get("vary")).toBe("Origin");
  });

  it("marks an allowed origin's actual response with its origin and the exposed headers", async () => {
    const res = await fetch(server.url + rpcPath, { method: "POST", headers: { origin: "https://app.example.com", "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-expose-headers")?.split(", ")).toEqual(["Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Content-Encoding", "Connect-Content-Encoding"]);
    expect(res.headers.get("vary")).toBe("Origin");
  });

  it.each<{ case: string; headers: Record<string, string> }>([
    { case: "another origin", headers: { origin: "https://evil.example.com" } },
    { case: "no origin (a server-side caller)", headers: {} },
  ])("sends $case no Allow-Origin, only Vary", async ({ headers }) => {
    const res = await fetch(server.url + rpcPath, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("vary")).toBe("Origin");
  });

  it("leaves an OPTIONS request that is no preflight to the router", async () => {
    const res = await fetch(server.url + rpcPath, { method: "OPTIONS", headers: { origin: allowedOrigin } });
    expect(res.status).toBe(405);
  });
});

describe("CORS without allowed origins (the default)", () => {
  it("is off: no handler, so responses carry no CORS header and a preflight gets the router's 405", async () => {
    expect(createCorsHandler({ allowedOrigins: [] })).toBeUndefined();
    const server = await serverWith([]);
    try {
      const res = await fetch(server.url + rpcPath, preflight(allowedOrigin));
      expect(res.status).toBe(405);
      expect([...res.headers.keys()].filter((name) => name.startsWith("access-control-") || name === "vary")).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("the header lists", () => {
  it("contain connect-es's lists, the credential and the trace context", () => {
    expect(corsAllowedHeaders).toEqual(expect.arrayContaining(["Content-Type", "Connect-Protocol-Version", "Connect-Timeout-Ms", "X-Grpc-Web", "Grpc-Timeout", "Authorization", "Traceparent", "Tracestate"]));
    expect(corsExposedHeaders).toEqual(expect.arrayContaining(["Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin"]));
  });
});

describe("originProblem", () => {
  it.each(["https://app.example.com", "http://127.0.0.1:5173", "http://localhost:3000", "http://[::1]:8080", "https://app.example.com:8443"])("accepts %s", (origin) => {
    expect(originProblem(origin)).toBeUndefined();
  });

  it.each([
    { origin: "*", problem: 'is not an origin: list exact origins such as https://app.example.com' },
    { origin: "app.example.com", problem: "is not an origin: list exact origins" },
    { origin: "ftp://files.example.com", problem: "must start with http:// or https://" },
    { origin: "https://app.example.com/", problem: "write https://app.example.com (scheme, host and port only)" },
    { origin: "https://app.example.com/app", problem: "write https://app.example.com (scheme" },
    { origin: "https://App.Example.com", problem: "write https://app.example.com (scheme" },
    { origin: "https://app.example.com:443", problem: "write https://app.example.com (scheme" },
    { origin: "null", problem: "is not an origin" },
  ])("refuses $origin", ({ origin, problem }) => {
    expect(originProblem(origin)).toContain(problem);
  });
});

describe("AGENT_CORS_ORIGINS", () => {
  it("defaults to no origins", () => {
    expect(loadConfig({}).cors.allowedOrigins).toEqual([]);
  });

  it("is a comma-separated list of exact origins, duplicates dropped", () => {
    const config = loadConfig({ AGENT_CORS_ORIGINS: " https://app.example.com, http://127.0.0.1:5173 ,https://app.example.com," });
    expect(config.cors.allowedOrigins).toEqual(["https://app.example.com", "http://127.0.0.1:5173"]);
  });

  it("stops start-up on a malformed origin, naming the setting and each bad origin", () => {
    let error: unknown;
    try {
      loadConfig({ AGENT_CORS_ORIGINS: "https://app.example.com/,*" });
    } catch (err) {
      error = err;
    }
    expect(isConfigError(error)).toBe(true);
    const problems = isConfigError(error) ? error.problems : [];
    expect(problems).toEqual([
      expect.stringMatching(/^AGENT_CORS_ORIGINS: "https:\/\/app\.example\.com\/" is not an origin as browsers send it: write https:\/\/app\.example\.com /),
      expect.stringMatching(/^AGENT_CORS_ORIGINS: "\*" is not an origin: list exact origins/),
    ]);
  });
});
