import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** A program of the project running in its own process, for benchmarks. */
export interface StartedProcess {
  readonly child: ChildProcess;
  /** What the ready line's first capture group matched, such as the URL it listens on. */
  readonly url: string;
}

/**
 * Starts `node --import tsx <args>` from the project root, with `env` added to
 * this process's environment, and resolves when a line of its output matches
 * `ready`. Its output is drained afterwards, so it never blocks on a full pipe.
 */
export async function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<StartedProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.stdout === null) {
    throw new Error("the child process has no standard output");
  }
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const match = ready.exec(line);
    if (match?.[1] !== undefined) {
      lines.on("line", () => {});
      return { child, url: match[1] };
    }
  }
  throw new Error(`${args.join(" ")} exited before it was ready`);
}
