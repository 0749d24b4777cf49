import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { AuditEntry, ExperimentRow, ExperimentStore, PromptStore } from "../store/index.js";
import { evaluateCanary, initialCanaryState, isCanaryOptionsError, resolveCanaryOptions, type CanaryEvaluation, type CanaryOptions, type CanaryState } from "./canary-check.js";
import { isExperimentArmsError, validateArms } from "./experiment-arms.js";
import { compareArms, summarizeArm, type ArmComparisonResult, type ArmSummary, type RunOutcome } from "./experiment-statistics.js";
import type { PromptCatalog, StoredArm } from "./prompt-catalog.js";
import { PromptDefinitionError } from "./prompt-definition-error.js";
import type { PromptRegistrar } from "./prompt-registrar.js";

/** An experiment to start. */
export interface StartExperimentRequest {
  readonly prompt: string;
  readonly arms: readonly StoredArm[];
  /** Makes it a canary: exactly two arms, the control (the active version) first. */
  readonly canary?: CanaryOptions;
  readonly note: string;
  readonly startedBy: string;
  readonly traceId: string;
}

/** One arm's results over a window. */
export interface ArmResults {
  readonly arm: StoredArm;
  readonly summary: ArmSummary;
}

/** An experiment's results over a window: each arm, and each arm after the first against the first. */
export interface ExperimentResults {
  readonly experiment: ExperimentRow;
  readonly arms: readonly ArmResults[];
  readonly comparisons: readonly { readonly arm: string; readonly control: string; readonly result: ArmComparisonResult }[];
  /** True when more runs were in the window than one read takes: the results are of the first ones. */
  readonly truncated: boolean;
}

/** Starts, stops and reads experiments, and runs the canary check. */
export interface ExperimentManager {
  /**
   * @throws {PromptDefinitionError} for arms, rules or a note that are not valid (naming the field);
   *   `field` "prompt" for a prompt with an experiment already running (the error names it)
   */
  start(request: StartExperimentRequest): Promise<ExperimentRow>;
  /** Undefined when the experiment is not running. */
  stop(experimentId: string, by: { readonly principal: string; readonly note: string; readonly traceId: string }): Promise<ExperimentRow | undefined>;
  /** Undefined when there is no such experiment. */
  results(experimentId: string, window: { readonly after?: Date; readonly before?: Date }): Promise<ExperimentResults | undefined>;
  /** Looks at every running canary once; what the timer runs. */
  checkCanaries(): Promise<void>;
  /** Stops the timer. */
  close(): void;
}

/** What a canary check decided, for metrics. */
export interface CanaryDecision {
  readonly experimentId: string;
  readonly decision: CanaryEvaluation["decision"];
}

/** Options of {@link createExperimentManager}. */
export interface ExperimentManagerOptions {
  readonly store: Pick<PromptStore, "getPromptVersion"> & ExperimentStore;
  readonly catalog: Pick<PromptCatalog, "active" | "refresh">;
  readonly registrar: Pick<PromptRegistrar, "activate">;
  readonly audit: { append(entry: AuditEntry): void };
  readonly logger: Logger;
  /** How often running canaries are checked. Default 5,000 ms; 0 never (tests call `checkCanaries`). */
  readonly checkEveryMs?: number;
  /** Told each decision that ended a canary. */
  readonly onDecision?: (decision: CanaryDecision) => void;
  readonly now?: () => number;
}

/** Most arms of an experiment. */
export const maxArms = 8;
/** Most runs one results read or canary check takes. */
const maxOutcomes = 200_000;
const armNamePattern = /^[A-Za-z0-9_-]{1,32}$/;
/** Who the canary check acts as, in the audit log and the activation history. */
export const canaryCheckPrincipal = "canary-check";

/**
 * Creates the experiment manager. Every replica runs the canary check; the
 * store ends an experiment once (the first replica to end it wins, the
 * others find it no longer running), so a decision is applied and audited
 * once. The check reads the runs of both arms since the canary started, so
 * time of day and load weigh on both alike.
 */
export function createExperimentManager(options: ExperimentManagerOptions): ExperimentManager {
  const { store, catalog, registrar, audit, logger, onDecision } = options;
  const now = options.now ?? Date.now;
  const checkEveryMs = options.checkEveryMs ?? 5_000;

  const auditEnd = (row: ExperimentRow, traceId: string) =>
    audit.append({
      action: "experiment_ended",
      principal: row.endedBy,
      runId: "",
      traceId,
      at: row.endedAt ?? new Date(now()),
      detail: { prompt: row.prompt, experiment_id: row.experimentId, status: row.status, reason: row.endReason.slice(0, 2_000) },
    });

  async function outcomesByArm(row: ExperimentRow, window: { readonly after?: Date; readonly before?: Date }) {
    const outcomes = await store.experimentOutcomes(row.experimentId, { ...window, limit: maxOutcomes + 1 });
    const byArm = new Map<string, RunOutcome[]>();
    for (const outcome of outcomes.slice(0, maxOutcomes)) {
      const list = byArm.get(outcome.arm) ?? [];
      list.push({
        succeeded: outcome.succeeded,
        latencyMs: outcome.latencyMs,
        tokens: outcome.tokens,
        costUsd: outcome.costUsd,
        ...(outcome.feedback === undefined ? {} : { feedback: outcome.feedback }),
      });
      byArm.set(outcome.arm, list);
    }
    return { byArm, truncated: outcomes.length > maxOutcomes };
  }

  async function checkCanary(row: ExperimentRow): Promise<void> {
    const arms = JSON.parse(row.arms) as StoredArm[];
    const [control, canary] = arms;
    if (control === undefined || canary === undefined) {
      return;
    }
    const rules = resolveCanaryOptions(JSON.parse(row.canary) as CanaryOptions);
    const state = row.canaryState === "" ? initialCanaryState : (JSON.parse(row.canaryState) as CanaryState);
    const { byArm } = await outcomesByArm(row, {});
    const evaluation = evaluateCanary(byArm.get(control.name) ?? [], byArm.get(canary.name) ?? [], rules, state);
    if (evaluation.decision === "continue") {
      if (evaluation.state.looksTaken !== state.looksTaken) {
        await store.saveCanaryState(row.experimentId, JSON.stringify(evaluation.state));
        logger.info({ experiment_id: row.experimentId, prompt: row.prompt, look: evaluation.numbers.look }, evaluation.statement);
      }
      return;
    }
    if (evaluation.decision === "promote") {
      const activation = await registrar.activate({
        name: row.prompt,
        version: canary.version,
        note: `promoted by the canary check of experiment ${row.experimentId}`,
        activatedBy: canaryCheckPrincipal,
        traceId: "",
      });
      if (activation.kind === "not_found") {
        logger.error({ experiment_id: row.experimentId, version: canary.version }, "the canary's version is gone: not promoted");
        return;
      }
    }
    const ended = await store.endExperiment(row.experimentId, {
      status: evaluation.decision === "rollback" ? "rolled_back" : "promoted",
      endedBy: canaryCheckPrincipal,
      endedAt: new Date(now()),
      endReason: evaluation.statement,
    });
    if (ended === undefined) {
      // Another replica, or an operator, ended it first.
      return;
    }
    auditEnd(ended, "");
    await catalog.refresh();
    onDecision?.({ experimentId: row.experimentId, decision: evaluation.decision });
    logger.warn(
      { experiment_id: row.experimentId, prompt: row.prompt, decision: evaluation.decision, fired_rule: evaluation.firedRule, canary_version: canary.version, control_version: control.version },
      `canary ${evaluation.decision === "rollback" ? "rolled back" : "promoted"}: ${evaluation.statement}`,
    );
  }

  let checking: Promise<void> | undefined;
  const checkCanaries = (): Promise<void> => {
    checking ??= (async () => {
      try {
        for (const row of await store.runningExperiments()) {
          if (row.canary === "") {
            continue;
          }
          try {
            await checkCanary(row);
          } catch (err) {
            logger.warn({ err, experiment_id: row.experimentId }, "the canary check failed; it looks again at the next check");
          }
        }
      } catch (err) {
        logger.warn({ err }, "the canary check cannot read the running experiments; it looks again at the next check");
      } finally {
        checking = undefined;
      }
    })();
    return checking;
  };
  const timer = checkEveryMs > 0 ? setInterval(() => void checkCanaries(), checkEveryMs) : undefined;
  timer?.unref();

  return {
    async start(request) {
      if (request.note.length > 1_000) {
        throw new PromptDefinitionError("note", `must be at most 1,000 characters, got ${request.note.length}`);
      }
      const active = catalog.active(request.prompt);
      if (active === undefined) {
        throw new PromptDefinitionError("prompt", `there is no prompt "${request.prompt}"; ListPrompts lists the prompts`);
      }
      checkArms(request.arms);
      for (const [index, arm] of request.arms.entries()) {
        if ((await store.getPromptVersion(request.prompt, arm.version)) === undefined) {
          throw new PromptDefinitionError(`arms[${index}].version`, `prompt "${request.prompt}" has no version "${arm.version}"; register it first`);
        }
      }
      let canary = "";
      if (request.canary !== undefined) {
        if (request.arms.length !== 2) {
          throw new PromptDefinitionError("arms", `a canary has exactly 2 arms, the control (the active version) and the canary, not ${request.arms.length}`);
        }
        if (request.arms[0]?.version !== active.version) {
          throw new PromptDefinitionError("arms[0].version", `a canary's first arm is the control: the active version ${active.version}`);
        }
        try {
          resolveCanaryOptions(request.canary);
        } catch (err) {
          if (isCanaryOptionsError(err)) {
            throw new PromptDefinitionError(`canary.${err.field}`, err.problem, { cause: err });
          }
          throw err;
        }
        canary = JSON.stringify(request.canary);
      }
      const row: ExperimentRow = {
        experimentId: randomUUID(),
        prompt: request.prompt,
        arms: JSON.stringify(request.arms),
        canary,
        canaryState: canary === "" ? "" : JSON.stringify(initialCanaryState),
        status: "running",
        note: request.note,
        startedBy: request.startedBy,
        startedAt: new Date(now()),
        endedAt: undefined,
        endedBy: "",
        endReason: "",
      };
      const started = await store.startExperiment(row);
      if (started.kind === "conflict") {
        throw new PromptDefinitionError("prompt", `prompt "${request.prompt}" already has a running experiment, ${started.running.experimentId}; stop it first`);
      }
      audit.append({
        action: "experiment_started",
        principal: request.startedBy,
        runId: "",
        traceId: request.traceId,
        at: row.startedAt,
        detail: {
          prompt: row.prompt,
          experiment_id: row.experimentId,
          arms: request.arms.map((arm) => `${arm.name}=${arm.version}:${arm.weight}`).join(","),
          canary: canary !== "",
        },
      });
      await catalog.refresh();
      return row;
    },
    async stop(experimentId, by) {
      if (by.note.length > 1_000) {
        throw new PromptDefinitionError("note", `must be at most 1,000 characters, got ${by.note.length}`);
      }
      const ended = await store.endExperiment(experimentId, { status: "stopped", endedBy: by.principal, endedAt: new Date(now()), endReason: by.note });
      if (ended !== undefined) {
        auditEnd(ended, by.traceId);
        await catalog.refresh();
      }
      return ended;
    },
    async results(experimentId, window) {
      const row = await store.getExperiment(experimentId);
      if (row === undefined) {
        return undefined;
      }
      const arms = JSON.parse(row.arms) as StoredArm[];
      const { byArm, truncated } = await outcomesByArm(row, window);
      const summaries = arms.map((arm) => ({ arm, summary: summarizeArm(byArm.get(arm.name) ?? []) }));
      const [control, ...others] = summaries;
      const comparisons =
        control === undefined
          ? []
          : others.map((other) => ({
              arm: other.arm.name,
              control: control.arm.name,
              result: compareArms(control.summary, other.summary, { names: { treatment: other.arm.name, control: control.arm.name } }),
            }));
      return { experiment: row, arms: summaries, comparisons, truncated };
    },
    checkCanaries,
    close: () => clearInterval(timer),
  };
}

function checkArms(arms: readonly StoredArm[]): void {
  if (arms.length > maxArms) {
    throw new PromptDefinitionError("arms", `an experiment has at most ${maxArms} arms, not ${arms.length}`);
  }
  const names = new Set<string>();
  for (const [index, arm] of arms.entries()) {
    if (!armNamePattern.test(arm.name)) {
      throw new PromptDefinitionError(`arms[${index}].name`, "must be 1 to 32 letters, digits, '_' or '-', such as control or canary");
    }
    if (names.has(arm.name)) {
      throw new PromptDefinitionError(`arms[${index}].name`, `${arm.name} names another arm too; name each arm once`);
    }
    names.add(arm.name);
  }
  try {
    validateArms(arms);
  } catch (err) {
    if (isExperimentArmsError(err)) {
      throw new PromptDefinitionError(err.field, err.problem, { cause: err });
    }
    throw err;
  }
}
