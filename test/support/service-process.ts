import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { storeTemplatePath } from "./store-template.js";

/** The project root, where `npm` scripts and `server/main.ts` are found. */
export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

/** A service started as its own process, the way an operator starts it. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Every JSON line on standard output so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Everything on standard error so far. */
  stderr(): string;
  /** Resolves with the RPC URL once the service says it listens; rejects if it exits first. */
  readonly listening: Promise<string>;
  /** Resolves with the exit code (or the signal's name) once the process has exited and its output has been read. */
  readonly exited: Promise<number | string>;
  /** Resolves with the first log line `predicate` accepts. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/**
 * Spawns `command args` from the project root with `env` on top of this
 * process's environment, reading its JSON log lines as they come. Runs are
 * recorded in memory (`AGENT_DATA_DIR=memory://`, started from the test run's
 * template) unless `env` says otherwise.
 */
export function startServiceProcess(command: string, args: readonly string[], env: Record<string, string>): ServiceProcess {
  // Runs are recorded in memory unless a test says where: parallel tests never share a data directory.
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: { AGENT_DATA_DIR: "memory://", AGENT_DATA_TEMPLATE: storeTemplatePath(), ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  // Both pipes exist: `stdio` asks for them.
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    if (!text.startsWith("{")) {
      return; // npm's own banner lines
    }
    const line = JSON.parse(text) as Record<string, unknown>;
    logs.push(line);
    for (const waiter of waiters.splice(0)) {
      if (waiter.predicate(line)) {
        waiter.resolve(line);
      } else {
        waiters.push(waiter);
      }
    }
  });
  // 'close', not 'exit': the process may exit before its last lines have been read from the pipes.
  const exited = once(child, "close").then(([code, signal]) => (code as number | null) ?? (signal as string));
  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean) => {
    const seen = logs.find(predicate);
    return seen !== undefined
      ? Promise.resolve(seen)
      : new Promise<Record<string, unknown>>((resolve) => waiters.push({ predicate, resolve }));
  };
  const listening = Promise.race([
    waitForLog((line) => line["msg"] !== undefined && typeof line["url"] === "string").then((line) => String(line["url"])),
    exited.then((code) => {
      throw new Error(`the service exited (${code}) before listening: ${stderr}`);
    }),
  ]);
  listening.catch(() => undefined);
  return { child, logs, stderr: () => stderr, listening, exited, waitForLog };
}
