import { durationMs, timestampDate, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  ExperimentStatus,
  type ArmResults,
  type Experiment,
  type GetExperimentResultsResponse,
  type ListExperimentsResponse,
  type ListPromptsResponse,
  type ListPromptVersionsResponse,
  type PromptVersion,
} from "../../gen/agent/v1/prompt_service_pb.js";
import { definitionOfContent, formatDefinition } from "./prompt-definition.js";
import { formatTable } from "./text-table.js";

// The prompts CLI's text output: one function per answer, tables for lists,
// the content as the JSON that `diff` compares.

/** `2025-06-01 12:00:00Z`, or `-` when unset. */
export function formatTime(time: Timestamp | undefined): string {
  return time === undefined ? "-" : timestampDate(time).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

const statusNames: Readonly<Record<ExperimentStatus, string>> = {
  [ExperimentStatus.UNSPECIFIED]: "unknown",
  [ExperimentStatus.RUNNING]: "running",
  [ExperimentStatus.STOPPED]: "stopped",
  [ExperimentStatus.ROLLED_BACK]: "rolled back",
  [ExperimentStatus.PROMOTED]: "promoted",
};

/** Every prompt and its active version. */
export function formatPromptList(res: ListPromptsResponse): string {
  if (res.prompts.length === 0) {
    return "no prompts registered\n";
  }
  return formatTable(
    ["NAME", "ACTIVE VERSION", "KIND", "REGISTERED", "BY", "NOTE"],
    res.prompts.map((version) => [version.name, version.version, kindOf(version), formatTime(version.createdAt), version.author, version.note]),
  );
}

/** One version: its id, whether it is active, who registered it, and its content. */
export function formatVersion(version: PromptVersion): string {
  return (
    `${version.id}${version.active ? " (active)" : ""}\n` +
    `registered ${formatTime(version.createdAt)} by ${version.author}${version.note === "" ? "" : `: ${version.note}`}\n` +
    `${formatDefinition(definitionOfContent(version.content))}\n`
  );
}

/** A prompt's versions and its activation history. */
export function formatVersions(res: ListPromptVersionsResponse): string {
  const versions = formatTable(
    ["VERSION", "ACTIVE", "KIND", "REGISTERED", "BY", "NOTE"],
    res.versions.map((version) => [version.version, version.active ? "yes" : "", kindOf(version), formatTime(version.createdAt), version.author, version.note]),
  );
  const activations = formatTable(
    ["ACTIVATED", "VERSION", "BY", "NOTE"],
    res.activations.map((activation) => [formatTime(activation.activatedAt), activation.version, activation.activatedBy, activation.note]),
  );
  return `${versions}\nactivations, newest first:\n${activations}`;
}

/** One experiment: what it is, where it is in its life, and its arms with their share of the traffic. */
export function formatExperiment(experiment: Experiment): string {
  const total = experiment.arms.reduce((sum, arm) => sum + arm.weight, 0);
  const arms = formatTable(
    ["ARM", "VERSION", "WEIGHT", "SHARE"],
    experiment.arms.map((arm, index) => [
      // The first arm is the control, whatever its name.
      index === 0 && arm.name !== "control" ? `${arm.name} (control)` : arm.name,
      arm.version,
      String(arm.weight),
      total > 0 ? percent(arm.weight / total) : "-",
    ]),
  );
  return `${experimentSummary(experiment).join("\n")}\n${arms}`;
}

/** An experiment's results: a row per arm, then each arm against the control. */
export function formatExperimentResults(res: GetExperimentResultsResponse): string {
  const header = res.experiment === undefined ? [] : experimentSummary(res.experiment);
  const arms = formatTable(
    ["ARM", "VERSION", "RUNS", "SUCCESS", "MEAN LATENCY", "P95 LATENCY", "TOKENS", "COST/RUN", "FEEDBACK"],
    res.arms.map(armRow),
  );
  // The comparison's statement is its metrics' statements in a row: a line each reads better.
  const comparisons = res.comparisons.flatMap((comparison) =>
    comparison.successRate === undefined || comparison.feedback === undefined
      ? [`${comparison.arm} vs ${comparison.controlArm}: ${comparison.statement}`]
      : [`${comparison.arm} vs ${comparison.controlArm}:`, `  success rate: ${comparison.successRate.statement}`, `  feedback: ${comparison.feedback.statement}`],
  );
  const footer = `at ${percent(res.confidence)} confidence; an arm is compared after ${res.minRunsPerArm} runs and ${res.minFeedbackPerArm} feedback scores`;
  return [...header, "", arms, ...comparisons, footer].join("\n") + "\n";
}

/** Experiments, newest first. */
export function formatExperimentList(res: ListExperimentsResponse): string {
  if (res.experiments.length === 0) {
    return "no experiments\n";
  }
  return formatTable(
    ["ID", "PROMPT", "STATUS", "ARMS", "STARTED", "BY", "NOTE"],
    res.experiments.map((experiment) => [
      experiment.experimentId,
      experiment.prompt,
      statusNames[experiment.status],
      experiment.arms.map((arm) => `${arm.name}=${arm.version}:${arm.weight}`).join(" "),
      formatTime(experiment.startedAt),
      experiment.startedBy,
      experiment.note,
    ]),
  );
}

/** What an experiment is and where it is in its life, a line each: kind and status, start, end. */
function experimentSummary(experiment: Experiment): string[] {
  const kind = experiment.canary === undefined ? "A/B" : `canary${experiment.canary.autoPromote ? ", auto-promote" : ""}`;
  const lines = [
    `experiment ${experiment.experimentId} on ${experiment.prompt} (${kind}): ${statusNames[experiment.status]}`,
    `started ${formatTime(experiment.startedAt)} by ${experiment.startedBy}${experiment.note === "" ? "" : `: ${experiment.note}`}`,
  ];
  if (experiment.endedAt !== undefined) {
    lines.push(`ended ${formatTime(experiment.endedAt)} by ${experiment.endedBy}${experiment.endReason === "" ? "" : `: ${experiment.endReason}`}`);
  }
  return lines;
}

function armRow(arm: ArmResults): string[] {
  return [
    arm.arm,
    arm.version,
    String(arm.runs),
    arm.runs === 0n ? "-" : `${percent(arm.successRate)} (${arm.successes})`,
    arm.runs === 0n ? "-" : duration(arm.meanLatency),
    arm.runs === 0n ? "-" : duration(arm.p95Latency),
    String(arm.tokens),
    arm.runs === 0n ? "-" : `$${arm.costPerRunUsd.toFixed(6)}`,
    arm.feedbackCount === 0n ? "-" : `${arm.meanFeedback.toFixed(2)} (${arm.feedbackCount})`,
  ];
}

function kindOf(version: PromptVersion): string {
  return String(definitionOfContent(version.content)["kind"] ?? "agent");
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1).replace(/\.0$/, "")}%`;
}

function duration(value: Duration | undefined): string {
  const ms = value === undefined ? 0 : durationMs(value);
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(2)} s`;
}
