import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { ExperimentArmInit } from "../prompt-options.js";

/** What the prompts CLI was asked to do. */
export type PromptsCommand =
  | { readonly kind: "help" }
  | { readonly kind: "list" }
  | { readonly kind: "show"; readonly name: string; readonly version: string | undefined }
  | { readonly kind: "versions"; readonly name: string }
  | { readonly kind: "register"; readonly name: string; readonly file: string; readonly note: string; readonly activate: boolean }
  | { readonly kind: "activate"; readonly name: string; readonly version: string; readonly note: string }
  | { readonly kind: "rollback"; readonly name: string; readonly note: string | undefined }
  | { readonly kind: "diff"; readonly name: string; readonly from: string; readonly to: string }
  | {
      readonly kind: "experiment start";
      readonly prompt: string;
      readonly arms: readonly ExperimentArmInit[];
      readonly canary: boolean;
      readonly autoPromote: boolean;
      readonly note: string;
    }
  | { readonly kind: "experiment stop"; readonly experimentId: string; readonly note: string }
  | { readonly kind: "experiment results"; readonly experimentId: string; readonly after: Date | undefined; readonly before: Date | undefined }
  | { readonly kind: "experiment list"; readonly prompt: string | undefined };

/** A parsed command line: the command, where the service is, how to authenticate and how to print. */
export interface PromptsCommandLine {
  readonly command: PromptsCommand;
  readonly url: string;
  /** The bearer token; undefined sends none (a service on loopback without keys). */
  readonly token: string | undefined;
  /** Print the service's answers as JSON instead of text. */
  readonly json: boolean;
}

/** A command line that does not say what to do: exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** Print the usage too: the command itself is missing or unknown. */
  readonly showUsage: boolean;

  constructor(message: string, { showUsage = false }: { readonly showUsage?: boolean } = {}) {
    super(message);
    this.showUsage = showUsage;
  }
}

/** The service's address when neither `--url` nor `AGENT_URL` says. */
export const defaultUrl = "http://127.0.0.1:8080";

export const usage = `usage: prompts <command> [options]

commands:
  list                                  every prompt and its active version
  show <name> [version]                 a version (default the active one) and its content
  versions <name>                       a prompt's versions and its activation history
  register <name> <file.json|file.yaml> register the file's definition [--note <why>] [--activate]
  activate <name> <version>             make a version the active one [--note <why>]
  rollback <name>                       activate the version active before the current one [--note <why>]
  diff <name> <versionA> <versionB>     a line diff of two versions' content
  experiment start <name> --arm control=<version>:<weight> --arm <arm>=<version>:<weight>
                                        [--canary] [--auto-promote] [--note <why>]
  experiment stop <id> [--note <why>]
  experiment results <id>               results per arm and the comparisons [--after <time>] [--before <time>]
  experiment list [name]

options:
  --url <url>      the service (default $AGENT_URL, else ${defaultUrl})
  --token <token>  API key or JWT (default $AGENT_TOKEN, or the file $AGENT_TOKEN_FILE)
  --json           print the service's answers as JSON
  --help, -h       print this
`;

const optionSpec = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  note: { type: "string" },
  activate: { type: "boolean" },
  arm: { type: "string", multiple: true },
  canary: { type: "boolean" },
  "auto-promote": { type: "boolean" },
  after: { type: "string" },
  before: { type: "string" },
} as const;

type OptionName = keyof typeof optionSpec;
const globalOptions: readonly OptionName[] = ["url", "token", "json", "help"];

/** Each command's positionals (a trailing `?` marks an optional one) and the options it takes besides the global ones. */
const grammar: Readonly<Record<Exclude<PromptsCommand["kind"], "help">, { readonly positionals: readonly string[]; readonly options: readonly OptionName[] }>> = {
  list: { positionals: [], options: [] },
  show: { positionals: ["name", "version?"], options: [] },
  versions: { positionals: ["name"], options: [] },
  register: { positionals: ["name", "file"], options: ["note", "activate"] },
  activate: { positionals: ["name", "version"], options: ["note"] },
  rollback: { positionals: ["name"], options: ["note"] },
  diff: { positionals: ["name", "versionA", "versionB"], options: [] },
  "experiment start": { positionals: ["name"], options: ["arm", "canary", "auto-promote", "note"] },
  "experiment stop": { positionals: ["id"], options: ["note"] },
  "experiment results": { positionals: ["id"], options: ["after", "before"] },
  "experiment list": { positionals: ["name?"], options: [] },
};

/**
 * Parses the CLI's arguments and environment (`AGENT_URL`, `AGENT_TOKEN`,
 * `AGENT_TOKEN_FILE`). `--token` wins over the environment; `AGENT_TOKEN`
 * and `AGENT_TOKEN_FILE` together are refused, as the service refuses a
 * secret given both ways.
 * @throws {UsageError} naming what is wrong
 */
export function parsePromptsCommandLine(args: readonly string[], env: Readonly<Record<string, string | undefined>>): PromptsCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: optionSpec, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs throws a TypeError naming the unknown option or the missing value.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const url = values.url ?? (env["AGENT_URL"] || defaultUrl);
  checkUrl(url);
  const common = { url, token: values.token ?? tokenFromEnv(env), json: values.json === true };
  if (values.help === true) {
    return { ...common, command: { kind: "help" } };
  }
  if (positionals.length === 0) {
    throw new UsageError("a command is required", { showUsage: true });
  }
  const [word, ...rest] = positionals;
  const kind = word === "experiment" ? `experiment ${rest.shift() ?? ""}` : (word ?? "");
  if (!(kind in grammar)) {
    const problem = word === "experiment" ? `experiment needs start, stop, results or list, got "${kind.slice("experiment ".length)}"` : `unknown command "${kind}"`;
    throw new UsageError(problem, { showUsage: true });
  }
  const rule = grammar[kind as keyof typeof grammar];
  const required = rule.positionals.filter((name) => !name.endsWith("?"));
  if (rest.length < required.length || rest.length > rule.positionals.length) {
    throw new UsageError(`${kind} takes ${rule.positionals.map((name) => (name.endsWith("?") ? `[${name.slice(0, -1)}]` : `<${name}>`)).join(" ") || "no arguments"}`);
  }
  const given = Object.keys(values) as OptionName[];
  const misplaced = given.find((option) => !globalOptions.includes(option) && !rule.options.includes(option));
  if (misplaced !== undefined) {
    throw new UsageError(`--${misplaced} is not an option of ${kind}`);
  }
  return { ...common, command: commandOf(kind as keyof typeof grammar, rest, values) };
}

type ParsedValues = ReturnType<typeof parseArgs<{ options: typeof optionSpec }>>["values"];

function commandOf(kind: keyof typeof grammar, args: readonly string[], values: ParsedValues): PromptsCommand {
  const [first = "", second, third = ""] = args;
  const note = values.note ?? "";
  switch (kind) {
    case "list":
      return { kind };
    case "show":
      return { kind, name: first, version: second };
    case "versions":
      return { kind, name: first };
    case "register":
      return { kind, name: first, file: second ?? "", note, activate: values.activate === true };
    case "activate":
      return { kind, name: first, version: second ?? "", note };
    case "rollback":
      return { kind, name: first, note: values.note };
    case "diff":
      return { kind, name: first, from: second ?? "", to: third };
    case "experiment start":
      if (values["auto-promote"] === true && values.canary !== true) {
        throw new UsageError("--auto-promote needs --canary: only a canary is promoted by the service");
      }
      return { kind, prompt: first, arms: armsOf(values.arm ?? []), canary: values.canary === true, autoPromote: values["auto-promote"] === true, note };
    case "experiment stop":
      return { kind, experimentId: first, note };
    case "experiment results":
      return { kind, experimentId: first, after: timeOf("after", values.after), before: timeOf("before", values.before) };
    case "experiment list":
      return { kind, prompt: first === "" ? undefined : first };
  }
}

/** `--arm name=version[:weight]`, weight 1 when left out. */
function armsOf(specs: readonly string[]): ExperimentArmInit[] {
  if (specs.length < 2) {
    throw new UsageError("experiment start needs at least two --arm <arm>=<version>:<weight>, the control first");
  }
  return specs.map((spec) => {
    const match = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(spec);
    const weight = Number(match?.[3] ?? "1");
    if (match === null || !Number.isFinite(weight) || weight <= 0) {
      throw new UsageError(`--arm ${spec}: write <arm>=<version>:<weight>, such as control=0123456789abcdef:1, with a positive weight`);
    }
    return { name: match[1] as string, version: match[2] as string, weight };
  });
}

function timeOf(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new UsageError(`--${option} ${value}: must be a time such as 2025-06-01T12:00:00Z`);
  }
  return time;
}

function checkUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new UsageError(`--url ${url}: must be a URL such as ${defaultUrl}`);
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new UsageError(`--url ${url}: must be an http:// or https:// URL`);
  }
}

function tokenFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const token = env["AGENT_TOKEN"] || undefined;
  const file = env["AGENT_TOKEN_FILE"] || undefined;
  if (file === undefined) {
    return token;
  }
  if (token !== undefined) {
    throw new UsageError("AGENT_TOKEN_FILE: must not be set together with AGENT_TOKEN; set one of them");
  }
  try {
    // Less one trailing newline, which echo and most editors add.
    return readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (err) {
    throw new UsageError(`AGENT_TOKEN_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`);
  }
}
