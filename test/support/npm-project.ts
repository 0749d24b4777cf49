import { execFile } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * This process's environment for a child npm, without the `npm_*` settings an
 * outer `npm test` exports (its prefix, its package, its lifecycle event),
 * which would steer the inner npm; the cache and registry stay, so CI's
 * choices still apply. The pinned Node.js comes first on PATH, so that npm and
 * the scripts it runs use the same Node.js as the tests.
 */
export function npmEnvironment(): NodeJS.ProcessEnv {
  const kept = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig"]);
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_") || kept.has(name.toLowerCase())));
  return { ...env, PATH: [dirname(process.execPath), process.env["PATH"] ?? ""].join(process.platform === "win32" ? ";" : ":") };
}

/** Runs a command to its end and returns its standard output; a failure carries the command's standard error. */
export async function runCommand(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, {
      cwd: options.cwd,
      env: options.env ?? npmEnvironment(),
      timeout: options.timeoutMs ?? 180_000,
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    throw new Error(`${file} ${args.join(" ")} failed in ${options.cwd}${typeof stderr === "string" && stderr !== "" ? `:\n${stderr}` : ""}`, { cause: err });
  }
}

/** One package installed under a node_modules folder. */
export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  /** Its folder, relative to the project. */
  readonly path: string;
}

/** Every package installed in `projectDir`, nested ones included, as npm laid them out. */
export async function installedPackages(projectDir: string): Promise<InstalledPackage[]> {
  const found: InstalledPackage[] = [];
  async function visit(modulesDir: string): Promise<void> {
    const entries = await readdir(join(projectDir, modulesDir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) {
        continue;
      }
      if (entry.name.startsWith("@")) {
        const scoped = await readdir(join(projectDir, modulesDir, entry.name), { withFileTypes: true });
        for (const member of scoped.filter((item) => item.isDirectory())) {
          await visitPackage(join(modulesDir, entry.name, member.name));
        }
      } else {
        await visitPackage(join(modulesDir, entry.name));
      }
    }
  }
  async function visitPackage(path: string): Promise<void> {
    const manifest = JSON.parse(await readFile(join(projectDir, path, "package.json"), "utf8")) as { name: string; version: string };
    found.push({ name: manifest.name, version: manifest.version, path });
    await visit(join(path, "node_modules"));
  }
  await visit("node_modules");
  return found;
}

/** The bytes of every file under `dir`, summed (the apparent size, as `du --apparent-size` counts it). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      total += (await stat(join(entry.parentPath, entry.name))).size;
    }
  }
  return total;
}
