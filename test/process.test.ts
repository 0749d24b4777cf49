import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentServiceError, Code, createAgentClient } from "../client/index.js";
import { createSimulator } from "../server/simulator/index.js";
import { startBreakableProxy } from "./support/breakable-proxy.js";
import { startServiceProcess, type ServiceProcess } from "./support/service-process.js";

// The service as an operator runs it: its own process, its own signals, its own stderr.

const quiet = { LOG_LEVEL: "info", OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "none", HOST: "127.0.0.1" };
let started: ServiceProcess | undefined;
afterEach(async () => {
  if (started !== undefined && started.child.exitCode === null && started.child.signalCode === null) {
    started.child.kill("SIGKILL");
    await started.exited;
  }
  started = undefined;
});

async function occupiedPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("start-up failures", () => {
  it.each([
    { variable: "PORT", env: (port: number) => ({ PORT: String(port), METRICS_PORT: "0" }) },
    { variable: "METRICS_PORT", env: (port: number) => ({ PORT: "0", METRICS_PORT: String(port) }) },
  ])("names $variable when its port is in use, instead of crashing with a stack trace", async ({ variable, env }) => {
    const taken = await occupiedPort();
    try {
      started = startServiceProcess(process.execPath, ["--import", "tsx", "server/main.ts"], { ...quiet, ...env(taken.port) });
      expect(await started.exited).toBe(1);
      expect(started.stderr()).toContain(`${variable}: 127.0.0.1:${taken.port} is already in use by another process`);
      // Regression: a raw stack trace of the listen error.
      expect(started.stderr()).not.toMatch(/^\s+at /m);
      expect(started.logs.find((l) => l["level"] === "fatal")?.["msg"]).toContain(`${variable}:`);
    } finally {
      await taken.close();
    }
  });
});

describe("Node's own warnings", () => {
  it("reach the log as JSON lines, not plain text on stderr", async () => {
    started = startServiceProcess(
      process.execPath,
      ["--import", "tsx", "--import", "./test/support/warning-on-signal.ts", "server/main.ts"],
      { ...quiet, PORT: "0", METRICS_PORT: "off" },
    );
    await started.listening;
    started.child.kill("SIGUSR2");
    const line = await started.waitForLog((l) => l["msg"] === "node warning: TestWarning");
    expect(line).toMatchObject({ level: "warn", warning: { name: "TestWarning", code: "AGENT_TEST", message: "a warning on request" } });
    started.child.kill("SIGTERM");
    expect(await started.exited).toBe(0);
    expect(started.stderr()).not.toContain("a warning on request");
  });
});

describe("npm start", () => {
  it("passes SIGTERM to the service, which shuts down instead of living on as an orphan", async () => {
    // Regression: npm and its `sh -c` exited on SIGTERM while node kept listening.
    started = startServiceProcess("npm", ["start", "--silent"], { ...quiet, PORT: "0", METRICS_PORT: "off" });
    const url = await started.listening;
    started.child.kill("SIGTERM");
    const exit = await started.exited;
    // On a failure, what the service said and how it ended tell why.
    expect(started.logs.map((l) => l["msg"]), `exited ${exit}; stderr: ${started.stderr()}`).toContain("shut down cleanly");
    expect(await refusesConnections(url)).toBe(true);
  }, 60_000);
});

describe("SIGHUP", () => {
  it("rereads the API keys file: the old key stops working, the new one works, a run in flight finishes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-keys-"));
    const file = join(dir, "keys.json");
    const entry = (key: string) => JSON.stringify([{ principal: "svc-orders", roles: ["caller"], sha256: createHash("sha256").update(key).digest("hex") }]);
    const [before, after] = [randomBytes(24).toString("hex"), randomBytes(24).toString("hex")];
    const clients: ReturnType<typeof createAgentClient>[] = [];
    try {
      await writeFile(file, entry(before));
      started = startServiceProcess(process.execPath, ["--import", "tsx", "server/main.ts"], {
        ...quiet,
        PORT: "0",
        METRICS_PORT: "off",
        AGENT_DATA_DIR: "memory://",
        AGENT_API_KEYS_FILE: file,
      });
      const url = await started.listening;
      const as = (token: string) => {
        const made = createAgentClient({ baseUrl: url, protocol: "grpc", retries: 0, timeoutMs: 20_000, token });
        clients.push(made);
        return made;
      };
      const old = as(before);
      const inFlight = old.stream("#words 400", { bypassCache: true })[Symbol.asyncIterator]();
      expect((await inFlight.next()).value?.event.case).toBe("runStarted");

      await writeFile(file, entry(after));
      started.child.kill("SIGHUP");
      await started.waitForLog((l) => String(l["msg"]).startsWith("reread the API keys"));

      const refused = await old.execute("What is 2 + 2?").catch((e: unknown) => e);
      expect((refused as AgentServiceError).code).toBe(Code.Unauthenticated);
      expect((await as(after).execute("What is 2 + 2?")).output).toContain("4");
      let last;
      for (let next = await inFlight.next(); next.done !== true; next = await inFlight.next()) {
        last = next.value;
      }
      expect(last?.event.case).toBe("runCompleted");
      // Neither key reached a log line.
      const logged = JSON.stringify(started.logs);
      expect(logged).not.toContain(before);
      expect(logged).not.toContain(after);
    } finally {
      clients.forEach((client) => client.close());
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("rereads OPENAI_API_KEY_FILE: runs after it send the new key, which the provider now requires; a model call in flight finishes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-provider-key-"));
    const file = join(dir, "openai-key");
    const [before, after] = [`sk-${randomBytes(24).toString("hex")}`, `sk-${randomBytes(24).toString("hex")}`];
    // The provider: the simulator, which refuses any key but the one it was given, behind a proxy
    // that can hold its answers, so a model call can be kept in flight for as long as the test needs.
    const provider = await createSimulator({ models: ["sim-small"], apiKey: before });
    const proxy = await startBreakableProxy({ host: "127.0.0.1", port: provider.port });
    const client = { close: () => {} };
    try {
      await writeFile(file, `${before}\n`);
      started = startServiceProcess(process.execPath, ["--import", "tsx", "server/main.ts"], {
        ...quiet,
        PORT: "0",
        METRICS_PORT: "off",
        AGENT_DATA_DIR: "memory://",
        AGENT_CACHE: "off",
        OPENAI_BASE_URL: `${proxy.url}/v1`,
        AGENT_MODELS: "sim-small",
        OPENAI_API_KEY: "",
        OPENAI_API_KEY_FILE: file,
      });
      const agent = createAgentClient({ baseUrl: await started.listening, protocol: "grpc", retries: 0, timeoutMs: 30_000 });
      client.close = () => agent.close();

      // A run whose first model call the provider accepted with the old key; its answer waits in the proxy.
      proxy.holdResponses();
      const accepted = once(provider.events, "request");
      const inFlight = agent.execute("What is 17 * 23?");
      await accepted;

      // The key is rotated: the file, then the reread, then the provider takes only the new key.
      await writeFile(file, `${after}\n`);
      started.child.kill("SIGHUP");
      const reread = await started.waitForLog((l) => l["setting"] === "OPENAI_API_KEY");
      expect(reread).toMatchObject({ level: "info", changed: true, msg: `reread OPENAI_API_KEY from ${file}` });
      provider.setApiKey(after);
      proxy.releaseResponses();

      // The run in flight finishes (its next model call sends the new key), and so does a new one.
      expect((await inFlight).output).toContain("391");
      expect((await agent.execute("What is 2 + 2?")).output).toContain("4");
      const logged = JSON.stringify(started.logs);
      expect(logged).not.toContain(before);
      expect(logged).not.toContain(after);
    } finally {
      client.close();
      await proxy.close();
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
