import { once } from "node:events";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
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
    await started.exited;
    expect(started.logs.some((l) => l["msg"] === "shut down cleanly")).toBe(true);
    expect(await refusesConnections(url)).toBe(true);
  }, 60_000);
});
