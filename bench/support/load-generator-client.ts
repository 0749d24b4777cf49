import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { LoadResult, LoadStep, StreamsResult } from "./load-step.js";
import type { OpenLoopResult } from "./open-loop.js";
import { projectRoot } from "./start-process.js";

const program = fileURLToPath(new URL("./load-generator.ts", import.meta.url));

/** The load generator process, driven step by step. */
export interface LoadGenerator {
  /** Runs one step in the load generator and resolves with its result. */
  run(step: LoadStep & { kind: "execute" | "direct" | "mixed" }): Promise<OpenLoopResult>;
  run(step: LoadStep & { kind: "streams" | "direct-streams" }): Promise<StreamsResult>;
  /** The load generator's CPU time so far, in microseconds (from `/proc`, as it has no probe server). */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

type Reply = { ready: true } | { ok: true; result: LoadResult } | { ok: false; error: string };

/** Starts the load generator in its own process. */
export async function startLoadGenerator(): Promise<LoadGenerator> {
  const child = spawn(process.execPath, ["--import", "tsx", program], {
    cwd: projectRoot,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  await once(child, "message");
  const run = async (step: LoadStep): Promise<LoadResult> => {
    child.send(step);
    const [reply] = (await once(child, "message")) as [Reply];
    if ("ready" in reply) throw new Error("unexpected ready message");
    if (!reply.ok) throw new Error(`load generator failed: ${reply.error}`);
    return reply.result;
  };
  return {
    run: run as LoadGenerator["run"],
    cpuUs: () => processCpuUs(child.pid ?? 0),
    async stop() {
      child.disconnect();
      await exited;
    },
  };
}

/** User plus system CPU time of a process from `/proc/<pid>/stat`, in microseconds (10 ms ticks). */
export async function processCpuUs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which may itself hold spaces, in parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / 100) * 1_000_000;
}
