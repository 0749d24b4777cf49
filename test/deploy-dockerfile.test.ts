import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  chmodSync,
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { parseDockerIgnore } from "./support/dockerignore.js";
import { parseDockerfile, parseEnv, parseExecForm, type DockerInstruction, type DockerStage } from "./support/dockerfile.js";
import { projectRoot } from "./support/service-process.js";

// No container engine runs here: the image is never built in CI. Instead the Dockerfile's own
// instructions are replayed on this machine, each stage in a directory standing for its root.

const dockerfile = parseDockerfile(readFileSync(join(projectRoot, "deploy/Dockerfile"), "utf8"));
const dockerIgnore = parseDockerIgnore(readFileSync(join(projectRoot, ".dockerignore"), "utf8"));
const packageJson = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};
const pinnedNode = packageJson.devDependencies["node"] ?? "";
const runtime = dockerfile.stages.at(-1) as DockerStage;

function instructions(stage: DockerStage, keyword: string): DockerInstruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/**
 * How this machine's npm reaches the registry (its CA bundle, proxy and registry), for a package
 * the npm cache does not hold yet: what a builder's network settings would be.
 */
function registryAccess(): Record<string, string> {
  const names = ["NODE_EXTRA_CA_CERTS", "npm_config_cafile", "npm_config_registry", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] ?? ""]])));
}

function envOf(stage: DockerStage): Record<string, string> {
  return Object.assign({}, ...instructions(stage, "ENV").map((instruction) => parseEnv(instruction.rest))) as Record<string, string>;
}

describe("deploy/Dockerfile", () => {
  it("builds and runs on the pinned Node.js, from the official slim image", () => {
    expect(pinnedNode).toMatch(/^\d+\.\d+\.\d+$/);
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) {
      expect(stage.image).toBe(`node:${pinnedNode}-bookworm-slim`);
    }
  });

  it("runs node itself as PID 1, as `npm start` does, as a non-root user, with its ports, volume, stop signal and health check", () => {
    const [cmd] = instructions(runtime, "CMD");
    // Exec form with node first: no shell or npm between the runtime and the signals.
    expect(cmd?.exec?.[0]).toBe("node");
    expect(packageJson.scripts["start"]).toBe(`exec ${cmd?.exec?.join(" ")}`);
    const user = instructions(runtime, "USER").at(-1)?.rest ?? "0";
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const env = envOf(runtime);
    const exposed = instructions(runtime, "EXPOSE").flatMap((instruction) => instruction.rest.split(/\s+/));
    expect(exposed.sort()).toEqual([env["PORT"], env["METRICS_PORT"]].sort());
    const volumes = instructions(runtime, "VOLUME").flatMap((instruction) => parseExecForm(instruction.rest) ?? instruction.rest.split(/\s+/));
    expect(volumes).toContain(env["AGENT_DATA_DIR"]);
    expect(instructions(runtime, "STOPSIGNAL").map((instruction) => instruction.rest)).toEqual(["SIGTERM"]);
    const healthcheck = parseExecForm((instructions(runtime, "HEALTHCHECK")[0]?.rest ?? "").replace(/^CMD\s+/, ""));
    expect(healthcheck?.[0]).toBe("node");
    expect(healthcheck?.join(" ")).toContain("/healthz");
    // The runtime stage only lays out files: everything that runs a command happens in the build.
    expect(instructions(runtime, "RUN")).toEqual([]);
  });
});

/** The pinned node, and npm run on it, first on PATH, as they are in the image. */
function pinnedToolsDir(root: string): string {
  const bin = join(root, "bin");
  mkdirSync(bin, { recursive: true });
  const node = realpathSync(join(projectRoot, "node_modules/.bin/node"));
  const npmCli = realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());
  writeFileSync(join(bin, "node"), `#!/bin/sh\nexec ${JSON.stringify(node)} "$@"\n`, { mode: 0o755 });
  writeFileSync(join(bin, "npm"), `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(npmCli)} "$@"\n`, { mode: 0o755 });
  return bin;
}

/** A stage's files under `root`, and the state its instructions build up. */
interface ReplayedStage {
  readonly root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
}

/** Copies `source` (a file, or a directory's contents) to `target`, leaving out what `skip` says. */
function copyInto(source: string, target: string, skip: (path: string) => boolean): void {
  if (statSync(source).isDirectory()) {
    mkdirSync(target, { recursive: true });
    cpSync(source, target, { recursive: true, filter: (path) => !skip(path) });
  } else {
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target);
  }
}

/**
 * Lays `source`'s tree out at `target` as hard links: what a later stage copies from an earlier
 * one is never changed again, so a link is as good as a copy, and much quicker for node_modules.
 */
function linkTree(source: string, target: string): void {
  const stat = lstatSync(source);
  if (stat.isSymbolicLink()) {
    symlinkSync(readlinkSync(source), target);
  } else if (stat.isDirectory()) {
    mkdirSync(target, { recursive: true });
    for (const entry of readdirSync(source)) {
      linkTree(join(source, entry), join(target, entry));
    }
  } else {
    linkSync(source, target);
  }
}

/** Runs one stage's instructions; `run` executes a RUN in the stage's directory. */
function replayStage(stage: DockerStage, replayed: ReplayedStage, stages: ReadonlyMap<string, ReplayedStage>, run: (command: string, cwd: string, env: Record<string, string>) => void): void {
  const inStage = (path: string) => join(replayed.root, posix.resolve(replayed.workdir, path));
  for (const instruction of stage.instructions) {
    switch (instruction.keyword) {
      case "WORKDIR":
        replayed.workdir = posix.resolve(replayed.workdir, instruction.rest);
        mkdirSync(inStage("."), { recursive: true });
        break;
      case "ENV":
        Object.assign(replayed.env, parseEnv(instruction.rest));
        break;
      case "COPY": {
        const paths = instruction.exec ?? instruction.rest.split(/\s+/);
        const target = paths.at(-1) ?? ".";
        const from = instruction.flags["from"];
        const sourceRoot = from === undefined ? projectRoot : stages.get(from)?.root;
        if (sourceRoot === undefined) {
          throw new Error(`line ${instruction.line}: no stage named ${from}`);
        }
        for (const source of paths.slice(0, -1)) {
          // Sources from the build context are those .dockerignore leaves in it; from a stage, its own paths.
          const sourcePath = from === undefined ? join(projectRoot, source) : join(sourceRoot, posix.resolve(stages.get(from)?.workdir ?? "/", source));
          const intoDir = target.endsWith("/") || paths.length > 2;
          const targetPath = intoDir ? join(inStage(target), posix.basename(source)) : inStage(target);
          const skip = (path: string) => from === undefined && dockerIgnore.excludes(relative(projectRoot, path).split("\\").join("/"));
          expect(skip(sourcePath), `line ${instruction.line}: ${source} is left out of the build context`).toBe(false);
          const chown = instruction.flags["chown"];
          if (from !== undefined && chown === undefined && !existsSync(targetPath)) {
            mkdirSync(dirname(targetPath), { recursive: true });
            linkTree(sourcePath, targetPath);
          } else {
            copyInto(sourcePath, targetPath, skip);
          }
          if (chown !== undefined && process.getuid?.() === 0) {
            const [uid = 0, gid = uid] = chown.split(":").map(Number);
            execFileSync("chown", ["-R", `${uid}:${gid}`, targetPath]);
          }
        }
        break;
      }
      case "RUN": {
        const command = instruction.exec?.join(" ") ?? instruction.rest;
        // The commands run on this machine: one that names an absolute path would reach outside the stage.
        expect(command, `line ${instruction.line}: RUN must use paths inside the stage`).not.toMatch(/(^|[\s=:])\//);
        run(command, inStage("."), replayed.env);
        break;
      }
      case "USER":
        replayed.user = instruction.rest;
        break;
      case "ARG":
      case "EXPOSE":
      case "VOLUME":
      case "STOPSIGNAL":
      case "HEALTHCHECK":
      case "CMD":
        break;
      default:
        throw new Error(`line ${instruction.line}: the replay does not know ${instruction.keyword}; teach it`);
    }
  }
}

describe("deploy/Dockerfile, replayed on this machine", () => {
  let root: string | undefined;
  // Two stages' node_modules: removing them takes a while on a busy machine.
  afterAll(() => (root === undefined ? undefined : rm(root, { recursive: true, force: true })), 120_000);

  it("builds, starts as its CMD with its ENV, answers its HEALTHCHECK, and exits 0 on its STOPSIGNAL", async () => {
    const started = Date.now();
    root = mkdtempSync(join(tmpdir(), "agent-image-"));
    chmodSync(root, 0o755);
    const bin = pinnedToolsDir(root);
    const path = `${bin}:/usr/local/bin:/usr/bin:/bin`;
    const stages = new Map<string, ReplayedStage>();
    const timings: string[] = [];
    for (const [index, stage] of dockerfile.stages.entries()) {
      const replayed: ReplayedStage = { root: join(root, `stage-${index}`), workdir: "/", env: {}, user: undefined };
      mkdirSync(replayed.root, { recursive: true });
      chmodSync(replayed.root, 0o755);
      replayStage(stage, replayed, stages, (command, cwd, env) => {
        const commandStarted = Date.now();
        // As the builder does: the stage's ENV over the image's PATH. The npm cache of this
        // machine stands in for the registry (prefer-offline), which keeps the replay short.
        const result = spawnSync("sh", ["-c", command], {
          cwd,
          env: { PATH: path, HOME: process.env["HOME"] ?? root, ...registryAccess(), npm_config_prefer_offline: "true", ...env },
          stdio: ["ignore", "pipe", "pipe"],
          encoding: "utf8",
          maxBuffer: 64 * 1024 * 1024,
        });
        expect(result.status, `RUN ${command}:\n${result.stdout.slice(-4000)}${result.stderr.slice(-4000)}`).toBe(0);
        timings.push(`${command} (${((Date.now() - commandStarted) / 1000).toFixed(1)} s)`);
      });
      stages.set(stage.name ?? String(index), replayed);
    }
    const image = [...stages.values()].at(-1) as ReplayedStage;
    const inImage = (p: string) => join(image.root, p);
    // The runtime stage holds the compiled service and production dependencies only.
    expect(existsSync(inImage("/app/dist/server/main.js"))).toBe(true);
    expect(existsSync(inImage("/app/node_modules/typescript"))).toBe(false);
    expect(existsSync(inImage("/app/node_modules/@connectrpc/connect-node"))).toBe(true);

    // `docker run -e …`: the image listens beyond loopback, so it needs authentication; the ports
    // are picked by the service (0) so that no test can take them first.
    const keysFile = join(root, "api-keys.json");
    const key = randomBytes(16).toString("hex");
    writeFileSync(keysFile, JSON.stringify([{ principal: "ops", roles: ["admin"], sha256: createHash("sha256").update(key).digest("hex") }]));
    chmodSync(keysFile, 0o644);
    // Absolute paths in the image's ENV name paths in the image.
    const imageEnv = Object.fromEntries(Object.entries(image.env).map(([name, value]) => [name, value.startsWith("/") ? inImage(value) : value]));
    const env = { PATH: path, HOME: "/nonexistent", ...imageEnv, PORT: "0", METRICS_PORT: "0", AGENT_API_KEYS_FILE: keysFile };
    const cmd = instructions(runtime, "CMD")[0]?.exec ?? [];
    const [uid, gid] = (image.user ?? "").split(":").map(Number);
    const asUser = process.getuid?.() === 0 && uid !== undefined ? { uid, gid: gid ?? uid } : {};
    const child = spawn(cmd[0] ?? "", cmd.slice(1), { cwd: inImage(image.workdir), env, stdio: ["ignore", "pipe", "pipe"], ...asUser });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const exited = once(child, "close");
    const logs: Record<string, unknown>[] = [];
    const listening = new Promise<string | undefined>((resolve) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (typeof entry["url"] === "string") {
          resolve(entry["url"]);
        }
      });
      void exited.then(() => resolve(undefined));
    });
    try {
      const url = await listening;
      expect(url, `the service exited before listening: ${stderr}`).toBeDefined();
      const port = new URL(url ?? "").port;
      // The embedded store lives in the image's data directory, started from the template.
      expect(existsSync(inImage(`${image.env["AGENT_DATA_DIR"]}/PG_VERSION`))).toBe(true);

      // The HEALTHCHECK as the engine runs it: its exec form, in the container's environment.
      const healthcheck = parseExecForm((instructions(runtime, "HEALTHCHECK")[0]?.rest ?? "").replace(/^CMD\s+/, "")) ?? [];
      const probe = spawn(healthcheck[0] ?? "", healthcheck.slice(1), { cwd: inImage(image.workdir), env: { ...env, PORT: port }, stdio: "ignore", ...asUser });
      expect((await once(probe, "close"))[0]).toBe(0);

      const stopSignal = instructions(runtime, "STOPSIGNAL")[0]?.rest as NodeJS.Signals;
      child.kill(stopSignal);
      // 'close': the process has exited and its output has been read.
      const [code] = (await exited) as [number | null];
      expect(code, stderr).toBe(0);
      expect(logs.map((entry) => entry["msg"])).toContain("shut down cleanly");
    } finally {
      child.kill("SIGKILL");
    }
    process.stdout.write(`replayed deploy/Dockerfile in ${((Date.now() - started) / 1000).toFixed(1)} s:\n  ${timings.join("\n  ")}\n`);
  }, 600_000);
});
