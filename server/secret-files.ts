import { readFileSync } from "node:fs";

/**
 * The settings that hold secrets. Each may instead be given as `NAME_FILE`,
 * the path of a file that holds the value (the container and Kubernetes
 * convention for mounted secrets), so that it never sits in the process
 * environment. Per-model keys named by `api_key_env` in the models file may
 * be given the same way.
 */
export const secretSettings = ["OPENAI_API_KEY", "DATABASE_URL", "REDIS_URL", "OTEL_EXPORTER_OTLP_HEADERS", "AGENT_JWT_PUBLIC_KEY"] as const;

/** One of {@link secretSettings}. */
export type SecretSettingName = (typeof secretSettings)[number];

/**
 * Reads `NAME_FILE` for each name: its content, less one trailing newline
 * (what `echo` and most editors add), becomes `NAME`. A name set both ways,
 * or a file that cannot be read, is a problem named by the variable and the
 * path, never the content.
 */
export function withSecretFiles(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): { env: Record<string, string | undefined>; problems: string[] } {
  const resolved: Record<string, string | undefined> = { ...env };
  const problems: string[] = [];
  for (const name of names) {
    const file = env[`${name}_FILE`]?.trim();
    if (file === undefined || file === "") {
      continue;
    }
    if (env[name] !== undefined && env[name].trim() !== "") {
      problems.push(`${name}_FILE: must not be set together with ${name}; set one of them`);
      continue;
    }
    try {
      resolved[name] = readSecretFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(`${name}_FILE: cannot read ${file} (${code ?? "unreadable"})`);
    }
  }
  return { env: resolved, problems };
}

/** A secret file's content, less one trailing newline. */
export function readSecretFile(path: string): string {
  return readFileSync(path, "utf8").replace(/\r?\n$/, "");
}
