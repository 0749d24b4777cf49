import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { formatFieldPath } from "./prompts/field-path.js";
import { withSecretFiles } from "./secret-files.js";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name such as WEATHER_TOKEN");

/**
 * A header or environment value: the text itself, or `{ "env": NAME }` for the value of the
 * environment variable NAME (or of the file NAME_FILE names, reread on SIGHUP), with an optional
 * `prefix` put before it (`"Bearer "`).
 */
const valueSchema = z.union(
  [
    z.string().refine((text) => !/[\r\n]/.test(text), "must not contain a line break"),
    z.strictObject({ env: envName, prefix: z.string().refine((text) => !/[\r\n]/.test(text), "must not contain a line break").optional() }),
  ],
  { error: 'must be a string, or {"env": "NAME"} to read it from the environment variable NAME or the file NAME_FILE' },
);

const positiveMs = (max: number) => z.number().int().min(1).max(max);
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** One entry of the MCP servers file. */
const serverEntrySchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"'),
    command: z.string().trim().min(1, "must name the program to run").optional(),
    args: z.array(z.string()).optional(),
    env: z.record(envName, valueSchema).optional(),
    cwd: z.string().min(1).optional(),
    url: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://weather.internal/mcp" })
      .refine((url) => new URL(url).username === "" && new URL(url).password === "", 'must not carry credentials: send them in "headers", read from a secret')
      .optional(),
    headers: z.record(z.string().regex(headerName, "must be an HTTP header name"), valueSchema).optional(),
    timeoutMs: positiveMs(600_000).optional(),
    tools: z
      .array(z.string().min(1))
      .min(1, 'must list at least one tool; leave "tools" out to allow every tool the server lists')
      .refine((names) => new Set(names).size === names.length, "must not name a tool twice")
      .optional(),
    prefix: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1 to 32 letters, digits, "_" or "-", such as weather_').optional(),
    connectTimeoutMs: positiveMs(600_000).optional(),
    pingIntervalMs: positiveMs(3_600_000).optional(),
    reconnect: z.strictObject({ initialDelayMs: positiveMs(600_000).optional(), maxDelayMs: positiveMs(3_600_000).optional() }).optional(),
  })
  .superRefine((entry, context) => {
    if ((entry.command === undefined) === (entry.url === undefined)) {
      context.addIssue({ code: "custom", path: [], message: 'must have either "command" (a stdio server) or "url" (a streamable HTTP server)' });
    }
    const stdioOnly = (["args", "env", "cwd"] as const).filter((field) => entry[field] !== undefined);
    if (entry.url !== undefined && stdioOnly.length > 0) {
      context.addIssue({ code: "custom", path: [stdioOnly[0] ?? ""], message: 'is for a stdio server ("command"); an HTTP server takes "headers"' });
    }
    if (entry.command !== undefined && entry.headers !== undefined) {
      context.addIssue({ code: "custom", path: ["headers"], message: 'is for an HTTP server ("url"); a stdio server takes "env"' });
    }
  });

/** The MCP servers file. */
export const mcpServersFileSchema = z.strictObject({
  servers: z
    .array(serverEntrySchema)
    .refine((servers) => new Set(servers.map((server) => server.name)).size === servers.length, "must not name a server twice"),
});

/** A header or environment value of an MCP server, as the configuration holds it. */
export type McpValueSetting =
  | { readonly kind: "text"; readonly text: string }
  | {
      readonly kind: "secret";
      /** The environment variable it is read from (or `NAME_FILE`, reread on SIGHUP). */
      readonly env: string;
      /** Put before the value. */
      readonly prefix: string;
      /** The value read at start-up. Never logged. */
      readonly initial: string;
    };

/** One MCP server of `AGENT_MCP_SERVERS_FILE`, validated, with its secrets read. */
export interface McpServerSettings {
  readonly name: string;
  readonly transport:
    | {
        readonly kind: "stdio";
        readonly command: string;
        readonly args: readonly string[];
        readonly env: Readonly<Record<string, McpValueSetting>>;
        readonly cwd: string | undefined;
      }
    | { readonly kind: "http"; readonly url: string; readonly headers: Readonly<Record<string, McpValueSetting>> };
  readonly timeoutMs: number | undefined;
  readonly tools: readonly string[] | undefined;
  readonly prefix: string | undefined;
  readonly connectTimeoutMs: number | undefined;
  readonly pingIntervalMs: number | undefined;
  readonly reconnect: { readonly initialDelayMs: number | undefined; readonly maxDelayMs: number | undefined };
}

/** What {@link readMcpServersFile} found. */
export interface McpServersFile {
  readonly servers: readonly McpServerSettings[];
  /** The environment variables the servers' secret values are read from. */
  readonly secretNames: readonly string[];
}

/**
 * Reads and validates the MCP servers file, YAML (`.yaml`, `.yml`) or JSON, and reads each
 * `{"env": NAME}` value from NAME or NAME_FILE in `env`. Throws an Error whose message names the
 * file, the entry and the field of every problem, never a secret's value; the caller names the
 * variable.
 */
export function readMcpServersFile(path: string, env: Readonly<Record<string, string | undefined>>): McpServersFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`, { cause: err });
  }
  return parseMcpServersFile(text, /\.ya?ml$/i.test(path) ? "yaml" : "json", path, env);
}

/** {@link readMcpServersFile} of a file's text; `where` names the file in errors. */
export function parseMcpServersFile(
  text: string,
  format: "yaml" | "json",
  where: string,
  env: Readonly<Record<string, string | undefined>>,
): McpServersFile {
  let document: unknown;
  try {
    document = format === "yaml" ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new Error(`${where} is not valid ${format === "yaml" ? "YAML" : "JSON"}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const parsed = mcpServersFileSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = formatFieldPath(issue.path.filter((key) => typeof key !== "symbol"));
      return `${path === "" ? "(file)" : path}: ${issue.message}`;
    });
    throw new Error(`${where}: ${problems.join("; ")}`);
  }
  const problems: string[] = [];
  const secretNames = new Set<string>();
  const valuesOf = (values: Readonly<Record<string, z.infer<typeof valueSchema>>> | undefined, at: string) =>
    Object.fromEntries(
      Object.entries(values ?? {}).map(([key, value]): [string, McpValueSetting] => {
        if (typeof value === "string") {
          return [key, { kind: "text", text: value }];
        }
        secretNames.add(value.env);
        const read = withSecretFiles(env, [value.env]);
        problems.push(...read.problems);
        const initial = read.env[value.env]?.trim() ?? "";
        if (initial === "" && read.problems.length === 0) {
          problems.push(`${at}.${formatFieldPath([key])}: reads ${value.env}, which is not set (set it, or ${value.env}_FILE)`);
        }
        return [key, { kind: "secret", env: value.env, prefix: value.prefix ?? "", initial }];
      }),
    );
  const servers = parsed.data.servers.map((entry, index): McpServerSettings => {
    const at = `servers[${index}]`;
    return {
      name: entry.name,
      transport:
        entry.url !== undefined
          ? { kind: "http", url: entry.url, headers: valuesOf(entry.headers, `${at}.headers`) }
          : { kind: "stdio", command: entry.command ?? "", args: entry.args ?? [], env: valuesOf(entry.env, `${at}.env`), cwd: entry.cwd },
      timeoutMs: entry.timeoutMs,
      tools: entry.tools,
      prefix: entry.prefix,
      connectTimeoutMs: entry.connectTimeoutMs,
      pingIntervalMs: entry.pingIntervalMs,
      reconnect: { initialDelayMs: entry.reconnect?.initialDelayMs, maxDelayMs: entry.reconnect?.maxDelayMs },
    };
  });
  if (problems.length > 0) {
    throw new Error(`${where}: ${problems.join("; ")}`);
  }
  return { servers, secretNames: [...secretNames] };
}
