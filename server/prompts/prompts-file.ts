import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";

/** One prompt a prompts file declares. */
export interface DeclaredPrompt {
  readonly name: string;
  /** The version's definition, validated when it is registered (see `definePromptContent`). */
  readonly definition: unknown;
  readonly note: string;
  /** Whether start-up activates it. Default true: the file says which version runs. */
  readonly activate: boolean;
}

/**
 * Reads `AGENT_PROMPTS_FILE`: YAML (`.yaml`, `.yml`) or JSON, holding
 * `{ "prompts": [ { "name", "note"?, "activate"?, "kind"?, "messages",
 * "inputVariables"?, "model"?, "tools"?, "outputSchema"? } ] }`. Each entry's
 * fields other than name, note and activate are the version's definition.
 * Throws an Error naming the entry and field of the first problem, or the
 * line of a syntax error.
 */
export async function readPromptsFile(path: string): Promise<DeclaredPrompt[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`, { cause: err });
  }
  return parsePromptsFile(text, /\.ya?ml$/i.test(path) ? "yaml" : "json", path);
}

/** {@link readPromptsFile} of a file's text. */
export function parsePromptsFile(text: string, format: "yaml" | "json", where: string): DeclaredPrompt[] {
  let document: unknown;
  try {
    document = format === "yaml" ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new Error(`${where} is not valid ${format === "yaml" ? "YAML" : "JSON"}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!isRecord(document) || !Array.isArray(document["prompts"])) {
    throw new Error(`${where} must hold an object with a "prompts" list`);
  }
  const names = new Set<string>();
  return document["prompts"].map((entry: unknown, index) => {
    const at = `prompts[${index}]`;
    if (!isRecord(entry)) {
      throw new Error(`${where}: ${at} must be an object`);
    }
    const { name, note, activate, ...definition } = entry;
    if (typeof name !== "string" || name === "") {
      throw new Error(`${where}: ${at}.name must be a non-empty string`);
    }
    if (names.has(name)) {
      throw new Error(`${where}: ${at}: prompt ${name} is declared twice; declare each prompt once, with the version to run`);
    }
    names.add(name);
    if (note !== undefined && typeof note !== "string") {
      throw new Error(`${where}: ${at}.note must be a string`);
    }
    if (activate !== undefined && typeof activate !== "boolean") {
      throw new Error(`${where}: ${at}.activate must be true or false`);
    }
    return { name, definition, note: note ?? "", activate: activate ?? true };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
