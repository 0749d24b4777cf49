import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import type { PromptContentInit } from "../prompt-options.js";
import { contentOfDefinition, PromptDefinitionShapeError } from "./prompt-definition.js";

/** A definition file that cannot be read, parsed or converted; the message names the file, and the field or line. */
export class PromptDefinitionFileError extends Error {
  override readonly name = "PromptDefinitionFileError";
}

/**
 * Reads a file holding one prompt definition (see `PromptDefinition`): YAML
 * for `.yaml` and `.yml`, JSON otherwise, as `AGENT_PROMPTS_FILE` is read.
 * @throws {PromptDefinitionFileError} naming the file and what is wrong
 */
export async function readPromptDefinitionFile(path: string): Promise<PromptContentInit> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new PromptDefinitionFileError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`, { cause: err });
  }
  return parsePromptDefinition(text, /\.ya?ml$/i.test(path) ? "yaml" : "json", path);
}

/** {@link readPromptDefinitionFile} of a file's text; `where` names it in errors. */
export function parsePromptDefinition(text: string, format: "yaml" | "json", where: string): PromptContentInit {
  let document: unknown;
  try {
    document = format === "yaml" ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    // yaml's message names the line and column; JSON.parse's the position.
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new PromptDefinitionFileError(`${where} is not valid ${format === "yaml" ? "YAML" : "JSON"}: ${reason}`, { cause: err });
  }
  try {
    return contentOfDefinition(document);
  } catch (err) {
    if (err instanceof PromptDefinitionShapeError) {
      throw new PromptDefinitionFileError(`${where}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
