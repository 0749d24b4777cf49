import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ActivatePromptVersionResponseSchema,
  GetExperimentResultsResponseSchema,
  GetPromptResponseSchema,
  ListExperimentsResponseSchema,
  ListPromptsResponseSchema,
  ListPromptVersionsResponseSchema,
  RegisterPromptResponseSchema,
  StartExperimentResponseSchema,
  StopExperimentResponseSchema,
  type PromptVersion,
} from "../../gen/agent/v1/prompt_service_pb.js";
import type { AgentClient } from "../agent-client.js";
import { diffLines, formatUnifiedDiff } from "./line-diff.js";
import { definitionOfContent, formatDefinition } from "./prompt-definition.js";
import { readPromptDefinitionFile } from "./prompt-definition-file.js";
import type { PromptsCommand } from "./prompts-command-line.js";
import { formatExperiment, formatExperimentList, formatExperimentResults, formatPromptList, formatTime, formatVersion, formatVersions } from "./prompts-output.js";

/** A command that cannot be done, for a reason the CLI found itself (the service's own errors are AgentServiceErrors). */
export class PromptsCommandError extends Error {
  override readonly name = "PromptsCommandError";
}

/** The SDK calls a command makes. */
export type PromptsCommandClient = Pick<AgentClient, "prompts">;

/**
 * Runs one command through the SDK and returns what to print: text, or the
 * service's answer as JSON (every field, defaults included, so that a script
 * reads `created: false` rather than a missing key).
 * @throws the SDK's AgentServiceError, a PromptDefinitionFileError or a {@link PromptsCommandError}
 */
export async function runPromptsCommand(client: PromptsCommandClient, command: Exclude<PromptsCommand, { kind: "help" }>, json: boolean): Promise<string> {
  const { prompts } = client;
  switch (command.kind) {
    case "list": {
      const res = await prompts.list();
      return json ? jsonOf(ListPromptsResponseSchema, res) : formatPromptList(res);
    }
    case "show": {
      const res = await prompts.get(command.name, command.version);
      return json ? jsonOf(GetPromptResponseSchema, res) : formatVersion(required(res.version));
    }
    case "versions": {
      const res = await prompts.versions(command.name);
      return json ? jsonOf(ListPromptVersionsResponseSchema, res) : formatVersions(res);
    }
    case "register": {
      const content = await readPromptDefinitionFile(command.file);
      const res = await prompts.register(command.name, content, { note: command.note, activate: command.activate });
      return json ? jsonOf(RegisterPromptResponseSchema, res) : registered(required(res.version), res.created);
    }
    case "activate": {
      const res = await prompts.activate(command.name, command.version, { note: command.note });
      if (json) return jsonOf(ActivatePromptVersionResponseSchema, res);
      const { id } = required(res.version);
      return res.previousVersion === "" ? `${id} was already active; nothing changed\n` : `activated ${id} (was ${res.previousVersion})\n`;
    }
    case "rollback":
      return rollback(client, command, json);
    case "diff":
      return diff(client, command, json);
    case "experiment start": {
      const canary = command.canary ? { canary: { autoPromote: command.autoPromote } } : {};
      const res = await prompts.startExperiment(command.prompt, command.arms, { ...canary, note: command.note });
      return json ? jsonOf(StartExperimentResponseSchema, res) : formatExperiment(required(res.experiment));
    }
    case "experiment stop": {
      const res = await prompts.stopExperiment(command.experimentId, { note: command.note });
      return json ? jsonOf(StopExperimentResponseSchema, res) : formatExperiment(required(res.experiment));
    }
    case "experiment results": {
      const window = {
        ...(command.after === undefined ? {} : { after: timestampFromDate(command.after) }),
        ...(command.before === undefined ? {} : { before: timestampFromDate(command.before) }),
      };
      const res = await prompts.experimentResults(command.experimentId, window);
      return json ? jsonOf(GetExperimentResultsResponseSchema, res) : formatExperimentResults(res);
    }
    case "experiment list": {
      const res = await prompts.listExperiments(command.prompt);
      return json ? jsonOf(ListExperimentsResponseSchema, res) : formatExperimentList(res);
    }
  }
}

function registered(version: PromptVersion, created: boolean): string {
  const active = version.active ? "; active" : "";
  return created
    ? `registered ${version.id} (a new version${active})\n`
    : `${version.id} is already registered (${formatTime(version.createdAt)} by ${version.author}): nothing added${active}\n`;
}

/**
 * Activates the version that was active before the current one: the newest
 * activation of another version in the prompt's history (activating the
 * active version records nothing, so that is the one before it). Says which,
 * and from what the service says it replaced, should someone have activated
 * another version in between.
 */
async function rollback(client: PromptsCommandClient, command: Extract<PromptsCommand, { kind: "rollback" }>, json: boolean): Promise<string> {
  const { activations } = await client.prompts.versions(command.name);
  const current = activations[0]?.version;
  const previous = activations.find((activation) => activation.version !== current);
  if (current === undefined || previous === undefined) {
    throw new PromptsCommandError(`prompt ${command.name} has had no other version active${current === undefined ? "" : ` than ${current}`}: nothing to roll back to`);
  }
  const res = await client.prompts.activate(command.name, previous.version, { note: command.note ?? `rollback from ${current}` });
  const from = res.previousVersion === "" ? current : res.previousVersion;
  if (json) {
    return `${JSON.stringify({ from, to: previous.version, activation: toJson(ActivatePromptVersionResponseSchema, res, { alwaysEmitImplicit: true }) }, null, 2)}\n`;
  }
  return `rolled back ${command.name} from ${from} to ${previous.version}, the version active before it (activated ${formatTime(previous.activatedAt)} by ${previous.activatedBy})\n`;
}

/** A line diff of two versions' content, each as the JSON that `show` prints. */
async function diff(client: PromptsCommandClient, command: Extract<PromptsCommand, { kind: "diff" }>, json: boolean): Promise<string> {
  const [from, to] = await Promise.all([client.prompts.get(command.name, command.from), client.prompts.get(command.name, command.to)]);
  const [before, after] = [required(from.version), required(to.version)];
  const linesOf = (version: PromptVersion) => formatDefinition(definitionOfContent(version.content)).split("\n");
  const lines = diffLines(linesOf(before), linesOf(after));
  if (json) {
    return `${JSON.stringify({ from: before.id, to: after.id, lines }, null, 2)}\n`;
  }
  return formatUnifiedDiff(lines, { from: before.id, to: after.id }) || `${before.id} and ${after.id} have the same content\n`;
}

function jsonOf<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string {
  return `${JSON.stringify(toJson(schema, message, { alwaysEmitImplicit: true }), null, 2)}\n`;
}

function required<T>(value: T | undefined): T {
  if (value === undefined) {
    throw new PromptsCommandError("the service's answer left out what it answers for; is it an older version?");
  }
  return value;
}
