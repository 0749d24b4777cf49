import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ProbeReading } from "./process-probe.js";

/** The root of this project, where the bench and the simulator come from. */
export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const probeModule = fileURLToPath(new URL("./process-probe.ts", import.meta.url));

/** A program of the project running in its own process, for benchmarks. */
export interface StartedProcess {
  readonly child: ChildProcess;
  /** What the ready line's first capture group matched, such as the URL it listens on. */
  readonly url: string;
  /** Reads the process's CPU time and memory; only when started with `probe: true`. */
  read(): Promise<ProbeReading>;
  /** Runs a full garbage collection; only with `probe: true` and `--expose-gc` in `nodeArgs`. */
  collectGarbage(): Promise<void>;
  /** Sends SIGTERM and resolves when the process has exited. */
  stop(): Promise<void>;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  /** Directory the program's path is relative to and the process runs in. Default the project root. */
  readonly root?: string;
  /** Extra Node flags, such as `--cpu-prof`. Default none. */
  readonly nodeArgs?: readonly string[];
  /** Preload the process probe (see `process-probe.ts`). Default false. */
  readonly probe?: boolean;
}

// A harness that fails part way must not leave its services behind.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** How to tell a program is ready when it prints no line saying so (such as a service at `LOG_LEVEL=warn`). */
export interface ReadyProbe {
  /** Resolves true once the program answers. */
  readonly poll: () => Promise<boolean>;
  /** The URL it serves, reported as {@link StartedProcess.url}. */
  readonly url: string;
}

/**
 * Starts `node --import tsx <args>` with `env` added to this process's environment, and
 * resolves when a line of its output matches `ready` (or, for a {@link ReadyProbe}, once it
 * answers). Its output is drained, so it never blocks on a full pipe.
 */
export async function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: RegExp | ReadyProbe,
  options: StartProcessOptions = {},
): Promise<StartedProcess> {
  const name = args.join(" ");
  const probeArgs = options.probe === true ? ["--import", probeModule] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", ...probeArgs, ...args], {
    cwd: options.root ?? projectRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.stdout === null) {
    throw new Error("the child process has no standard output");
  }
  const exited = once(child, "exit");
  running.add(child);
  void exited.then(() => running.delete(child));
  let probeUrl: string | undefined;
  let readyUrl: string | undefined;
  let announced: () => void = () => {};
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    const probeMatch = /^bench-probe (\S+)/.exec(line);
    if (probeMatch?.[1] !== undefined) probeUrl = probeMatch[1];
    else if (ready instanceof RegExp) readyUrl ??= ready.exec(line)?.[1];
    announced();
  });
  // The probe announces itself before the program is ready, but nothing guarantees it.
  const isReady = async (): Promise<boolean> => {
    if (options.probe === true && probeUrl === undefined) return false;
    if (ready instanceof RegExp) return readyUrl !== undefined;
    if (!(await ready.poll())) return false;
    readyUrl = ready.url;
    return true;
  };
  let gone = false;
  void exited.then(() => (gone = true));
  while (!(await isReady())) {
    if (gone) throw new Error(`${name} exited before it was ready`);
    await new Promise<void>((resolve) => {
      announced = resolve;
      setTimeout(resolve, 50);
    });
  }
  return startedProcess(child, readyUrl ?? "", probeUrl, exited, name);
}

function startedProcess(
  child: ChildProcess,
  url: string,
  probeUrl: string | undefined,
  exited: Promise<unknown>,
  name: string,
): StartedProcess {
  const probe = (): string => {
    if (probeUrl === undefined) throw new Error(`${name} was started without the probe`);
    return probeUrl;
  };
  return {
    child,
    url,
    async read() {
      const res = await fetch(probe());
      return (await res.json()) as ProbeReading;
    },
    async collectGarbage() {
      await fetch(`${probe()}/gc`, { method: "POST" });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
