import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import {
  ArmComparisonSchema,
  ArmResultsSchema,
  CanaryMetric,
  CanaryRulesSchema,
  ExperimentSchema,
  ExperimentStatus,
  MetricComparisonSchema,
  PromptActivationSchema,
  type CanaryRules,
  type Experiment,
  type MetricComparison,
  PromptContentSchema,
  PromptKind,
  PromptRole,
  PromptVersionSchema,
  type PromptActivation,
  type PromptContent as PromptContentMessage,
  type PromptService,
  type PromptVersion as PromptVersionMessage,
} from "../../gen/agent/v1/prompt_service_pb.js";
import { principalOf } from "../auth/principal.js";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import type { PromptCatalog } from "../prompts/prompt-catalog.js";
import type { PromptContent } from "../prompts/prompt-content.js";
import { isPromptDefinitionError } from "../prompts/prompt-definition-error.js";
import type { PromptRegistrar } from "../prompts/prompt-registrar.js";
import { resolveCanaryOptions, type CanaryOptions, type CanaryRuleName } from "../prompts/canary-check.js";
import type { MetricComparisonResult } from "../prompts/experiment-statistics.js";
import type { ExperimentManager, ExperimentResults } from "../prompts/experiments.js";
import type { StoredArm } from "../prompts/prompt-catalog.js";
import type { ExperimentRow, ExperimentStore, PromptActivationRow, PromptStore, PromptVersionRow } from "../store/index.js";
import { traceIdOf } from "../telemetry/trace-id.js";
import { serverSpanKey } from "./trace-interceptor.js";

/** Dependencies of {@link createPromptService}. */
export interface PromptServiceOptions {
  readonly store: Pick<PromptStore, "getPromptVersion" | "listPromptVersions" | "listPromptActivations" | "activePrompts"> &
    Pick<ExperimentStore, "listExperiments" | "getExperiment">;
  readonly experiments: ExperimentManager;
  readonly catalog: Pick<PromptCatalog, "active">;
  readonly registrar: PromptRegistrar;
  /** Flushes the audit log, so that a change is in it before the answer; bounded by the signal. */
  readonly flushAudit: (signal: AbortSignal) => Promise<void>;
  readonly logger: Logger;
  /** Longest wait for the audit log before answering anyway. Default 2,000 ms. */
  readonly auditWaitMs?: number;
}

/** Activations listed with a prompt's versions. */
const activationsListed = 100;

const roleNames: Readonly<Record<PromptRole, string>> = {
  [PromptRole.UNSPECIFIED]: "unspecified",
  [PromptRole.SYSTEM]: "system",
  [PromptRole.HUMAN]: "human",
  [PromptRole.AI]: "ai",
};
const roleOf: Readonly<Record<string, PromptRole>> = { system: PromptRole.SYSTEM, human: PromptRole.HUMAN, ai: PromptRole.AI };

/**
 * The PromptService handlers. Who may call which method is decided by the
 * access policy (register and activate need admin); changes go through the
 * registrar, which audits them and refreshes this replica's catalog.
 */
export function createPromptService(options: PromptServiceOptions): ServiceImpl<typeof PromptService> {
  const { store, catalog, registrar, logger } = options;
  const auditWaitMs = options.auditWaitMs ?? 2_000;

  async function read<T>(what: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      logger.warn({ err }, `prompt store read failed: ${what}`);
      throw storeUnavailable(err);
    }
  }

  /** Waits, bounded, for the change's audit entries: an admin's change is on record when it is answered. */
  async function audited(signal: AbortSignal): Promise<void> {
    await options.flushAudit(AbortSignal.any([signal, AbortSignal.timeout(auditWaitMs)])).catch(() => undefined);
  }

  return {
    async registerPrompt(req, ctx) {
      if (req.content === undefined) {
        throw invalid("content", "must be set: the version's messages, variables, settings and tools");
      }
      const principal = principalOf(ctx);
      let registration;
      try {
        registration = await registrar.register({
          name: req.name,
          definition: definitionOf(req.content),
          note: req.note,
          activate: req.activate,
          author: principal.id,
          traceId: traceIdOf(ctx.values.get(serverSpanKey)),
        });
      } catch (err) {
        if (isPromptDefinitionError(err)) {
          throw invalid(err.field === "name" || err.field === "note" ? err.field : `content.${err.field}`, err.problem);
        }
        logger.warn({ err, prompt: req.name }, "registering a prompt version failed in the store");
        throw storeUnavailable(err);
      }
      await audited(ctx.signal);
      const active = catalog.active(req.name)?.version === registration.row.version;
      logger.info(
        { prompt: req.name, version: registration.row.version, created: registration.created, active, principal: principal.id },
        registration.created ? "prompt version registered" : "prompt version already registered",
      );
      return { version: versionMessage(registration.row, registration.content, active), created: registration.created };
    },

    async getPrompt(req) {
      requireName(req.name);
      const activeVersion = catalog.active(req.name)?.version;
      const version = req.version === "" ? activeVersion : req.version;
      const row = version === undefined ? undefined : await read("get prompt version", () => store.getPromptVersion(req.name, version));
      if (row === undefined) {
        throw version === undefined || activeVersion === undefined ? promptNotFound(req.name) : versionNotFound(req.name, req.version);
      }
      return { version: versionMessage(row, parse(row), row.version === activeVersion) };
    },

    async listPrompts() {
      const active = await read("list prompts", () => store.activePrompts());
      return { prompts: active.prompts.map((row) => versionMessage(row, parse(row), true)) };
    },

    async listPromptVersions(req) {
      requireName(req.name);
      const [versions, activations] = await Promise.all([
        read("list prompt versions", () => store.listPromptVersions(req.name)),
        read("list prompt activations", () => store.listPromptActivations(req.name, activationsListed)),
      ]);
      if (versions.length === 0) {
        throw promptNotFound(req.name);
      }
      const activeVersion = activations[0]?.version;
      return {
        versions: versions.map((row) => versionMessage(row, parse(row), row.version === activeVersion)),
        activations: activations.map(activationMessage),
      };
    },

    async activatePromptVersion(req, ctx) {
      requireName(req.name);
      if (req.version === "") {
        throw invalid("version", "must be set: the version to activate (ListPromptVersions lists them)");
      }
      const principal = principalOf(ctx);
      let outcome;
      try {
        outcome = await registrar.activate({ name: req.name, version: req.version, note: req.note, activatedBy: principal.id, traceId: traceIdOf(ctx.values.get(serverSpanKey)) });
      } catch (err) {
        if (isPromptDefinitionError(err)) {
          throw invalid(err.field, err.problem);
        }
        logger.warn({ err, prompt: req.name }, "activating a prompt version failed in the store");
        throw storeUnavailable(err);
      }
      if (outcome.kind === "not_found") {
        throw catalog.active(req.name) === undefined ? promptNotFound(req.name) : versionNotFound(req.name, req.version);
      }
      await audited(ctx.signal);
      const row = await read("get prompt version", () => store.getPromptVersion(req.name, req.version));
      if (row === undefined) {
        throw versionNotFound(req.name, req.version);
      }
      if (outcome.kind === "activated") {
        logger.info({ prompt: req.name, version: req.version, previous_version: outcome.previousVersion, principal: principal.id }, "prompt version activated");
      }
      return {
        version: versionMessage(row, parse(row), true),
        previousVersion: outcome.kind === "activated" ? (outcome.previousVersion ?? "") : "",
      };
    },

    async startExperiment(req, ctx) {
      requireField("prompt", req.prompt, "the prompt to experiment on");
      const principal = principalOf(ctx);
      const canary = req.canary === undefined ? undefined : canaryOptionsOf(req.canary);
      let row;
      try {
        row = await options.experiments.start({
          prompt: req.prompt,
          arms: req.arms.map((arm) => ({ name: arm.name, version: arm.version, weight: arm.weight })),
          ...(canary === undefined ? {} : { canary }),
          note: req.note,
          startedBy: principal.id,
          traceId: traceIdOf(ctx.values.get(serverSpanKey)),
        });
      } catch (err) {
        if (isPromptDefinitionError(err)) {
          throw invalid(err.field, err.problem);
        }
        logger.warn({ err, prompt: req.prompt }, "starting an experiment failed in the store");
        throw storeUnavailable(err);
      }
      await audited(ctx.signal);
      logger.info({ experiment_id: row.experimentId, prompt: row.prompt, arms: row.arms, canary: row.canary !== "", principal: principal.id }, "prompt experiment started");
      return { experiment: experimentMessage(row) };
    },

    async stopExperiment(req, ctx) {
      requireField("experiment_id", req.experimentId, "the experiment to stop (ListExperiments lists them)");
      const principal = principalOf(ctx);
      let row;
      try {
        row = await options.experiments.stop(req.experimentId, { principal: principal.id, note: req.note, traceId: traceIdOf(ctx.values.get(serverSpanKey)) });
      } catch (err) {
        if (isPromptDefinitionError(err)) {
          throw invalid(err.field, err.problem);
        }
        logger.warn({ err, experiment_id: req.experimentId }, "stopping an experiment failed in the store");
        throw storeUnavailable(err);
      }
      if (row === undefined) {
        const existing = await read("get experiment", () => store.getExperiment(req.experimentId));
        if (existing === undefined) {
          throw experimentNotFound(req.experimentId);
        }
        // Already ended: stopping it again changes nothing and says how it ended.
        return { experiment: experimentMessage(existing) };
      }
      await audited(ctx.signal);
      logger.info({ experiment_id: row.experimentId, prompt: row.prompt, principal: principal.id }, "prompt experiment stopped");
      return { experiment: experimentMessage(row) };
    },

    async getExperimentResults(req) {
      requireField("experiment_id", req.experimentId, "the experiment (ListExperiments lists them)");
      const window = {
        ...(req.after === undefined ? {} : { after: timestampDate(req.after) }),
        ...(req.before === undefined ? {} : { before: timestampDate(req.before) }),
      };
      const results = await read("experiment results", () => options.experiments.results(req.experimentId, window));
      if (results === undefined) {
        throw experimentNotFound(req.experimentId);
      }
      return resultsMessage(results);
    },

    async listExperiments(req) {
      const rows = await read("list experiments", () => store.listExperiments(req.prompt === "" ? undefined : req.prompt, 100));
      return { experiments: rows.map(experimentMessage) };
    },
  };
}

const metricOfRule: Readonly<Record<CanaryRuleName, CanaryMetric>> = {
  success_rate: CanaryMetric.SUCCESS_RATE,
  feedback: CanaryMetric.FEEDBACK,
  p95_latency: CanaryMetric.P95_LATENCY,
  cost_per_run: CanaryMetric.COST_PER_RUN,
};

/** The canary options a CanaryRules message asks for: listed rules only, or the defaults when none is listed. */
function canaryOptionsOf(rules: CanaryRules): CanaryOptions {
  const listed = rules.stopRules;
  const bound = (metric: CanaryMetric) => listed.find((rule) => rule.metric === metric)?.bound;
  const unknown = listed.findIndex((rule) => !Object.values(metricOfRule).includes(rule.metric));
  if (unknown >= 0) {
    throw invalid(`canary.stop_rules[${unknown}].metric`, "must be one of CANARY_METRIC_SUCCESS_RATE, _FEEDBACK, _P95_LATENCY, _COST_PER_RUN");
  }
  const drop = (metric: CanaryMetric) => (bound(metric) === undefined ? null : { maxDrop: bound(metric) as number });
  const ratio = (metric: CanaryMetric) => (bound(metric) === undefined ? null : { maxRatio: bound(metric) as number });
  return {
    ...(listed.length === 0
      ? {}
      : {
          successRate: drop(CanaryMetric.SUCCESS_RATE),
          feedback: drop(CanaryMetric.FEEDBACK),
          p95Latency: ratio(CanaryMetric.P95_LATENCY),
          costPerRun: ratio(CanaryMetric.COST_PER_RUN),
        }),
    autoPromote: rules.autoPromote,
    ...(rules.alpha === 0 ? {} : { alpha: rules.alpha }),
    ...(rules.minRuns === 0 ? {} : { minRuns: rules.minRuns }),
    ...(rules.lookEveryRuns === 0 ? {} : { lookEveryRuns: rules.lookEveryRuns }),
    ...(rules.maxLooks === 0 ? {} : { maxLooks: rules.maxLooks }),
  };
}

/** The CanaryRules message of stored options, with every default in force spelled out. */
function canaryRulesMessage(options: CanaryOptions): CanaryRules {
  const resolved = resolveCanaryOptions(options);
  return create(CanaryRulesSchema, {
    stopRules: resolved.rules.map((rule) => ({ metric: metricOfRule[rule.name], bound: rule.limit })),
    autoPromote: resolved.autoPromote,
    alpha: resolved.alpha,
    minRuns: resolved.minRuns,
    lookEveryRuns: resolved.lookEveryRuns,
    maxLooks: resolved.maxLooks,
  });
}

const statusOf: Readonly<Record<ExperimentRow["status"], ExperimentStatus>> = {
  running: ExperimentStatus.RUNNING,
  stopped: ExperimentStatus.STOPPED,
  rolled_back: ExperimentStatus.ROLLED_BACK,
  promoted: ExperimentStatus.PROMOTED,
};

function experimentMessage(row: ExperimentRow): Experiment {
  return create(ExperimentSchema, {
    experimentId: row.experimentId,
    prompt: row.prompt,
    arms: JSON.parse(row.arms) as StoredArm[],
    status: statusOf[row.status],
    ...(row.canary === "" ? {} : { canary: canaryRulesMessage(JSON.parse(row.canary) as CanaryOptions) }),
    note: row.note,
    startedBy: row.startedBy,
    startedAt: timestampFromDate(row.startedAt),
    ...(row.endedAt === undefined ? {} : { endedAt: timestampFromDate(row.endedAt) }),
    endedBy: row.endedBy,
    endReason: row.endReason,
  });
}

/** NaN (nothing to average) as 0 on the wire, where a double cannot say "none". */
const finite = (value: number) => (Number.isFinite(value) ? value : 0);

function metricMessage(result: MetricComparisonResult): MetricComparison {
  return create(MetricComparisonSchema, {
    test: result.test,
    armValue: finite(result.treatment),
    controlValue: finite(result.control),
    difference: finite(result.difference),
    differenceLower: finite(result.interval?.lower ?? 0),
    differenceUpper: finite(result.interval?.upper ?? 0),
    ...(result.pValue === undefined ? {} : { pValue: result.pValue }),
    enoughData: result.enoughData,
    significant: result.significant,
    statement: result.statement,
  });
}

function resultsMessage(results: ExperimentResults) {
  const first = results.comparisons[0]?.result;
  return {
    experiment: experimentMessage(results.experiment),
    arms: results.arms.map(({ arm, summary }) =>
      create(ArmResultsSchema, {
        arm: arm.name,
        version: arm.version,
        runs: BigInt(summary.runs),
        successes: BigInt(summary.successes),
        successRate: finite(summary.successRate),
        meanLatency: durationFromMs(Math.round(finite(summary.meanLatencyMs))),
        p95Latency: durationFromMs(Math.round(finite(summary.p95LatencyMs))),
        tokens: BigInt(summary.tokens),
        costUsd: summary.costUsd,
        costPerRunUsd: finite(summary.costPerRunUsd),
        feedbackCount: BigInt(summary.feedbackCount),
        meanFeedback: finite(summary.meanFeedback),
      }),
    ),
    comparisons: results.comparisons.map(({ arm, control, result }) =>
      create(ArmComparisonSchema, {
        arm,
        controlArm: control,
        successRate: metricMessage(result.successRate),
        feedback: metricMessage(result.feedback),
        statement: result.statement,
      }),
    ),
    confidence: first?.confidence ?? 0.95,
    minRunsPerArm: first?.successRate.minimumPerArm ?? 30,
    minFeedbackPerArm: first?.feedback.minimumPerArm ?? 10,
  };
}

function requireField(field: string, value: string, what: string): void {
  if (value === "") {
    throw invalid(field, `must be set: ${what}`);
  }
}

function experimentNotFound(experimentId: string) {
  return connectErrorWithDetail(`there is no experiment "${experimentId}"; ListExperiments lists them`, Code.NotFound, { reason: "EXPERIMENT_NOT_FOUND" });
}

/** The definition a PromptContent message describes, in the shape `definePromptContent` validates. */
export function definitionOf(content: PromptContentMessage): unknown {
  return {
    kind: content.kind === PromptKind.CHAIN ? "chain" : "agent",
    messages: content.messages.map((message) => ({ role: roleNames[message.role] ?? "unspecified", template: message.template })),
    inputVariables: content.inputVariables,
    model: {
      ...(content.temperature === undefined ? {} : { temperature: content.temperature }),
      ...(content.maxOutputTokens === 0 ? {} : { maxOutputTokens: content.maxOutputTokens }),
    },
    tools: content.tools,
    ...(content.outputSchema === undefined ? {} : { outputSchema: content.outputSchema }),
  };
}

/** The PromptContent message of `content`. */
export function contentMessage(content: PromptContent): PromptContentMessage {
  return create(PromptContentSchema, {
    kind: content.kind === "chain" ? PromptKind.CHAIN : PromptKind.AGENT,
    messages: content.messages.map((message) => ({ role: roleOf[message.role] ?? PromptRole.UNSPECIFIED, template: message.template })),
    inputVariables: [...content.inputVariables],
    ...(content.model.temperature === undefined ? {} : { temperature: content.model.temperature }),
    maxOutputTokens: content.model.maxOutputTokens ?? 0,
    tools: [...content.tools],
    ...(content.outputSchema === undefined ? {} : { outputSchema: structuredClone(content.outputSchema) as PromptContentMessage["outputSchema"] }),
  });
}

function versionMessage(row: PromptVersionRow, content: PromptContent, active: boolean): PromptVersionMessage {
  return create(PromptVersionSchema, {
    name: row.name,
    version: row.version,
    id: `${row.name}@${row.version}`,
    content: contentMessage(content),
    author: row.author,
    note: row.note,
    createdAt: timestampFromDate(row.createdAt),
    active,
  });
}

function activationMessage(row: PromptActivationRow): PromptActivation {
  return create(PromptActivationSchema, {
    name: row.name,
    version: row.version,
    activatedBy: row.activatedBy,
    activatedAt: timestampFromDate(row.activatedAt),
    note: row.note,
  });
}

/** A stored version's content: the canonical JSON it was registered with. */
function parse(row: PromptVersionRow): PromptContent {
  return JSON.parse(row.content) as PromptContent;
}

function requireName(name: string): void {
  if (name === "") {
    throw invalid("name", "must be set: the prompt's name (ListPrompts lists them)");
  }
}

function invalid(field: string, description: string) {
  return connectErrorWithDetail(`invalid request: ${field}: ${description}`, Code.InvalidArgument, {
    reason: "INVALID_PROMPT",
    fieldViolations: [create(FieldViolationSchema, { field, description })],
  });
}

function promptNotFound(name: string) {
  return connectErrorWithDetail(`there is no prompt "${name}"; ListPrompts lists the prompts`, Code.NotFound, { reason: "PROMPT_NOT_FOUND" });
}

function versionNotFound(name: string, version: string) {
  return connectErrorWithDetail(`prompt "${name}" has no version "${version}"; ListPromptVersions lists its versions`, Code.NotFound, {
    reason: "PROMPT_VERSION_NOT_FOUND",
  });
}

function storeUnavailable(cause: unknown) {
  return connectErrorWithDetail("the prompt store is unavailable; try again shortly", Code.Unavailable, { reason: "PROMPT_STORE_UNAVAILABLE", retryAfterMs: 1_000 }, cause);
}
