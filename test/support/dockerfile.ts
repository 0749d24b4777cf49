/**
 * A Dockerfile parser for the instructions our image uses, so that a test can
 * replay the build on a machine with no container engine: line continuations
 * and comments, `ARG` defaults substituted into `FROM`, flags (`--from=`,
 * `--chown=`, `--interval=`), exec (JSON) and shell forms, and `ENV` in both
 * its forms. It follows the Dockerfile reference; an instruction it does not
 * know is kept as is for the caller to refuse.
 */

/** One instruction, after continuations are joined and flags are taken off. */
export interface DockerInstruction {
  /** Upper case: `RUN`, `COPY`, `CMD`, … */
  readonly keyword: string;
  /** `--name=value` flags before the arguments. */
  readonly flags: Readonly<Record<string, string>>;
  /** What follows the flags, as written. */
  readonly rest: string;
  /** The arguments in exec form (a JSON array), when written so. */
  readonly exec: readonly string[] | undefined;
  /** The line the instruction starts on, from 1. */
  readonly line: number;
}

/** One `FROM` and what follows it up to the next. */
export interface DockerStage {
  /** The image, with build arguments substituted: `node:24.21.0-bookworm-slim`. */
  readonly image: string;
  /** The `AS` name; undefined for an unnamed stage. */
  readonly name: string | undefined;
  readonly instructions: readonly DockerInstruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** The `ARG`s before the first `FROM`, with their defaults. */
  readonly args: Readonly<Record<string, string>>;
  readonly stages: readonly DockerStage[];
}

/** Splits `text` into instructions (continuations joined, comments and blank lines dropped). */
export function parseInstructions(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const first = lines[index] ?? "";
    if (/^\s*(#|$)/.test(first)) {
      continue;
    }
    const start = index + 1;
    let joined = "";
    let current = first;
    // A trailing backslash continues the instruction; comment lines inside it are dropped.
    for (;;) {
      const continued = /\\\s*$/.test(current);
      joined += continued ? current.replace(/\\\s*$/, "") : current;
      if (!continued || index + 1 >= lines.length) {
        break;
      }
      index++;
      current = lines[index] ?? "";
      while (/^\s*#/.test(current) && index + 1 < lines.length) {
        index++;
        current = lines[index] ?? "";
      }
    }
    const match = /^\s*(\S+)\s*(.*)$/s.exec(joined);
    if (match === null) {
      continue;
    }
    let rest = match[2] ?? "";
    const flags: Record<string, string> = {};
    for (let flag = /^--([\w-]+)=(\S*)\s*/.exec(rest); flag !== null; flag = /^--([\w-]+)=(\S*)\s*/.exec(rest)) {
      flags[flag[1] ?? ""] = flag[2] ?? "";
      rest = rest.slice(flag[0].length);
    }
    rest = rest.trim();
    instructions.push({ keyword: (match[1] ?? "").toUpperCase(), flags, rest, exec: parseExecForm(rest), line: start });
  }
  return instructions;
}

/** The JSON array of an exec-form instruction, or undefined for the shell form. */
export function parseExecForm(rest: string): string[] | undefined {
  if (!rest.startsWith("[")) {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(rest);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === "string") ? parsed : undefined;
  } catch {
    // Not valid JSON: Docker runs it in the shell form.
    return undefined;
  }
}

/** Parses a Dockerfile into its global build arguments and its stages. */
export function parseDockerfile(text: string): Dockerfile {
  const args: Record<string, string> = {};
  const stages: { image: string; name: string | undefined; instructions: DockerInstruction[] }[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === "FROM") {
      const [image = "", as, name] = substitute(instruction.rest, args).split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== "ARG") {
        throw new Error(`line ${instruction.line}: only ARG may come before the first FROM`);
      }
      const [name = "", value = ""] = instruction.rest.split(/=(.*)/s);
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** Replaces `$NAME` and `${NAME}` with their values; unknown names become empty, as Docker does. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, braced: string | undefined, bare: string | undefined) => values[braced ?? bare ?? ""] ?? "");
}

/**
 * The variables an `ENV` sets: `ENV A=1 B="two words"`, or the older
 * `ENV A one value`. Quotes and backslashes work as in the shell.
 */
export function parseEnv(rest: string): Record<string, string> {
  if (!/^[\w.-]+=/.test(rest)) {
    const [name = "", value = ""] = rest.split(/\s+(.*)/s);
    return { [name]: value.trim() };
  }
  const env: Record<string, string> = {};
  for (const word of shellWords(rest)) {
    const [name = "", value = ""] = word.split(/=(.*)/s);
    env[name] = value;
  }
  return env;
}

/** Splits `text` into words as a shell would: whitespace separates, quotes group, a backslash escapes. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? "";
    if (quote !== undefined) {
      if (char === quote) {
        quote = undefined;
      } else if (char === "\\" && quote === '"' && index + 1 < text.length) {
        word = (word ?? "") + (text[++index] ?? "");
      } else {
        word = (word ?? "") + char;
      }
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= "";
    } else if (char === "\\" && index + 1 < text.length) {
      word = (word ?? "") + (text[++index] ?? "");
    } else if (/\s/.test(char)) {
      if (word !== undefined) {
        words.push(word);
      }
      word = undefined;
    } else {
      word = (word ?? "") + char;
    }
  }
  if (quote !== undefined) {
    throw new Error(`unterminated ${quote} in: ${text}`);
  }
  if (word !== undefined) {
    words.push(word);
  }
  return words;
}
