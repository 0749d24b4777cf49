import { createServer, connect } from "node:net";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startProcess, type StartedProcess } from "./start-process.js";

/**
 * The tree whose `server/main.ts` is benchmarked: `BENCH_SERVICE_ROOT`, such as a copy of an
 * older commit, or this project. The simulator, the echo ceiling and the load generator always
 * come from this project, so two trees are measured against the same baselines.
 */
export const serviceRoot: string | undefined =
  process.env["BENCH_SERVICE_ROOT"] === undefined || process.env["BENCH_SERVICE_ROOT"] === ""
    ? undefined
    : resolve(process.env["BENCH_SERVICE_ROOT"]);

/** The service's environment for a benchmark: quiet logs, no metrics endpoint (and `AGENT_MODELS=sim-small` unless a models file is given). */
export const quietServiceEnv: Readonly<Record<string, string>> = Object.freeze({
  LOG_LEVEL: "warn",
  METRICS_PORT: "off",
});

/**
 * The API key every benchmark client sends, and the keys file every benchmarked service
 * authenticates it against: the service is measured as it is deployed, with authentication on.
 * (A tree from before authentication ignores both.)
 */
export const benchToken = "bench-key-0123456789abcdef0123456789abcdef";
const keysDir = mkdtempSync(join(tmpdir(), "bench-keys-"));
const keysFile = join(keysDir, "keys.json");
writeFileSync(keysFile, JSON.stringify([{ principal: "bench", roles: ["caller"], sha256: createHash("sha256").update(benchToken).digest("hex") }]));
process.once("exit", () => rmSync(keysDir, { recursive: true, force: true }));

/** Limits far above any load a benchmark makes, so that they are counted (their cost measured) but never hit. */
const benchLimits = { AGENT_RATE_LIMIT_REQUESTS_PER_MINUTE: "100000000", AGENT_RATE_LIMIT_CONCURRENT_RUNS: "1000000" };

/** Starts the standalone simulator with `env` (see `server/simulator/simulator-env.ts`), probed. */
export function startSimulator(env: Record<string, string> = {}): Promise<StartedProcess> {
  return startProcess(["server/simulator/main.ts"], { SIMULATOR_PORT: "0", ...env }, /(http:\/\/\S+\/v1)/, { probe: true });
}

/**
 * Starts the service (`server/main.ts` of {@link serviceRoot}) on a free port with
 * {@link quietServiceEnv} and `env`, probed, and resolves once it accepts connections.
 * `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of it there when it stops.
 */
export async function startService(env: Record<string, string>, nodeArgs: readonly string[] = []): Promise<StartedProcess> {
  const port = await freePort();
  // Each service records its runs as a new user's would, in embedded PGlite on disk, in a directory of its own.
  const dataDir = mkdtempSync(join(tmpdir(), "bench-data-"));
  const profileDir = process.env["BENCH_CPU_PROF"];
  const profileArgs = profileDir === undefined || profileDir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${resolve(profileDir)}`];
  const started = await startProcess(
    ["server/main.ts"],
    { ...quietServiceEnv, AGENT_DATA_DIR: dataDir, AGENT_API_KEYS_FILE: keysFile, ...benchLimits, ...(env["AGENT_MODELS_FILE"] === undefined ? { AGENT_MODELS: "sim-small" } : {}), ...env, PORT: String(port) },
    { url: `http://127.0.0.1:${port}`, poll: () => accepts(port) },
    { root: serviceRoot, probe: true, nodeArgs: [...profileArgs, ...nodeArgs] },
  );
  return {
    ...started,
    async stop() {
      await started.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the echo ceiling (`bench/support/echo-server.ts`), probed. */
export function startEcho(): Promise<StartedProcess> {
  return startProcess(["bench/support/echo-server.ts"], {}, /^echo listening on (\S+)/, { probe: true });
}

/** Stops every process given, in parallel. */
export async function stopAll(...processes: readonly (StartedProcess | undefined)[]): Promise<void> {
  await Promise.all(processes.map((started) => started?.stop()));
}

/** A port that was free a moment ago, on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}
