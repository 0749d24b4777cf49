import type { Logger } from "pino";
import type { AuditAppender } from "../runs/run-audit.js";
import type { Config } from "../config.js";
import { createPromptCatalog, type PromptCatalog } from "../prompts/prompt-catalog.js";
import { isPromptDefinitionError } from "../prompts/prompt-definition-error.js";
import { createPromptRegistrar, type PromptRegistrar } from "../prompts/prompt-registrar.js";
import { createExperimentManager, type ExperimentManager } from "../prompts/experiments.js";
import { readPromptsFile, type DeclaredPrompt } from "../prompts/prompts-file.js";
import { declaredPromptsOf, type PromptDeclaration } from "../prompts/prompt-declaration.js";
import { defaultPromptContent, defaultPromptName } from "../prompts/prompt-version.js";
import { StartupError } from "../startup-error.js";
import type { ExperimentStore, PromptStore } from "../store/index.js";
import type { Closers } from "./closers.js";
import type { Meter } from "@opentelemetry/api";
import { createPromptMetrics } from "../telemetry/prompt-metrics.js";

/** The prompts' catalog (what runs use), registrar (how they change) and experiments. */
export interface PromptParts {
  readonly catalog: PromptCatalog;
  readonly registrar: PromptRegistrar;
  readonly experiments: ExperimentManager;
}

/** What {@link wirePrompts} needs. */
export interface PromptsWiringOptions {
  readonly settings: Config["prompts"];
  /** The deployment's prompts given in code (`AgentServiceRuntimeOptions.prompts`); registered before the file's. */
  readonly fromCode: readonly PromptDeclaration[];
  readonly store: PromptStore & ExperimentStore;
  readonly audit: AuditAppender;
  /** The tools a prompt may list. */
  readonly toolNames: ReadonlySet<string>;
  readonly logger: Logger;
  /** The meter the prompts' metrics go on. */
  readonly meter: Meter;
}

/** Who registers and activates what start-up declares, in the audit log and the activation history. */
const startupPrincipal = "startup";

/**
 * Seeds the store, then opens the catalog over it: the built-in `default`
 * agent prompt is registered (and active, if the prompt is new), so the
 * quick start needs nothing; then every prompt given in code, then every
 * prompt of `AGENT_PROMPTS_FILE` (last, so an operator's file can override
 * a prompt of the code without a rebuild), each registered and, unless it
 * says `activate: false`, activated. All are
 * idempotent: the same content is the same version, and activating the
 * active version changes nothing, so replicas that start together agree.
 */
export async function wirePrompts(options: PromptsWiringOptions, closers: Closers): Promise<PromptParts> {
  const { settings, store, audit, toolNames, logger } = options;
  const metrics = createPromptMetrics(options.meter);
  let fromCode: readonly DeclaredPrompt[];
  try {
    fromCode = declaredPromptsOf(options.fromCode);
  } catch (err) {
    throw new StartupError("prompts", err instanceof Error ? err.message : String(err), { cause: err });
  }
  let declared: readonly DeclaredPrompt[] = [];
  if (settings.file !== undefined) {
    try {
      declared = await readPromptsFile(settings.file);
    } catch (err) {
      throw new StartupError("AGENT_PROMPTS_FILE", err instanceof Error ? err.message : String(err), { cause: err });
    }
  }
  // The registrar refreshes the catalog after each change; while seeding there is none yet (it loads after).
  const opened: { catalog?: PromptCatalog } = {};
  const registrar = createPromptRegistrar({ store, audit, knownTools: toolNames, catalog: { refresh: async () => opened.catalog?.refresh() } });
  // `setting` is what to fix when a definition is refused: the file's variable, or the option of startAgentService.
  const seed = async (name: string, definition: unknown, note: string, activate: boolean, where: string, setting = "AGENT_PROMPTS_FILE") => {
    try {
      const registration = await registrar.register({ name, definition, note, activate, author: startupPrincipal, traceId: "" });
      if (registration.created || registration.activation !== undefined) {
        logger.info(
          { prompt: name, version: registration.row.version, created: registration.created, activated: registration.activation !== undefined },
          `prompt ${name} from ${where}`,
        );
      }
    } catch (err) {
      throw isPromptDefinitionError(err)
        ? new StartupError(setting, `prompt ${name}: ${err.message}`, { cause: err })
        : new Error(`cannot register prompt ${name} from ${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
  await seed(defaultPromptName, defaultPromptContent, "the built-in agent prompt", false, "the built-in default");
  for (const prompt of fromCode) {
    await seed(prompt.name, prompt.definition, prompt.note, prompt.activate, "the deployment's code", "prompts");
  }
  for (const prompt of declared) {
    await seed(prompt.name, prompt.definition, prompt.note, prompt.activate, settings.file ?? "");
  }
  const catalog = await createPromptCatalog({ store, logger, refreshMs: settings.refreshMs, onStoreRead: (read) => metrics.recordStoreRead(read) });
  opened.catalog = catalog;
  closers.push(async () => catalog.close());
  const experiments = createExperimentManager({
    store,
    catalog,
    registrar,
    audit,
    logger,
    checkEveryMs: settings.canaryCheckMs,
    onDecision: ({ decision }) => {
      if (decision !== "continue") {
        metrics.recordCanaryDecision(decision);
      }
    },
  });
  closers.push(async () => experiments.close());
  if (catalog.active(settings.defaultPrompt) === undefined) {
    throw new StartupError("AGENT_DEFAULT_PROMPT", `names prompt ${settings.defaultPrompt}, which is not registered: declare it in AGENT_PROMPTS_FILE or in the prompts given to startAgentService, or register it`, {
      cause: undefined,
    });
  }
  return { catalog, registrar, experiments };
}
