import { Code, type ConnectError } from "@connectrpc/connect";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import type { ActivePrompts, ExperimentRow, ExperimentStore, PromptStore, PromptVersionRow } from "../store/index.js";
import { assignArm } from "./experiment-arms.js";
import type { PromptContent } from "./prompt-content.js";
import { compilePrompt } from "./prompt-render.js";
import type { PromptVariablesError } from "./prompt-variables-error.js";
import type { PromptVersion } from "./prompt-version.js";

/** One version of a prompt, ready to run. */
export interface CatalogPrompt {
  readonly name: string;
  readonly version: string;
  /** `name@version`, what runs report. */
  readonly id: string;
  readonly content: PromptContent;
  /**
   * The version with the run's variables filled in, for the executor.
   * @throws {ConnectError} INVALID_ARGUMENT (reason PROMPT_VARIABLES) naming each variable missing or not declared.
   */
  bind(variables: Readonly<Record<string, string>>): PromptVersion;
}

/** One arm of a running experiment, its version ready to run. */
export interface CatalogArm {
  readonly name: string;
  readonly version: string;
  readonly weight: number;
  readonly prompt: CatalogPrompt;
}

/** A running experiment, as runs are assigned to it. */
export interface CatalogExperiment {
  readonly experimentId: string;
  readonly prompt: string;
  /** The control first. */
  readonly arms: readonly CatalogArm[];
}

/** The version a run uses, and the experiment arm that chose it, if one did. */
export interface PromptChoice {
  readonly prompt: CatalogPrompt;
  /** Empty when no experiment chose the version. */
  readonly experimentId: string;
  readonly experimentArm: string;
}

/** The arms of an experiment as stored (`ExperimentRow.arms`). */
export interface StoredArm {
  readonly name: string;
  readonly version: string;
  readonly weight: number;
}

/** Options of {@link createPromptCatalog}. */
export interface PromptCatalogOptions {
  readonly store: Pick<PromptStore, "activePrompts" | "promptsGeneration" | "getPromptVersion"> & Pick<ExperimentStore, "runningExperiments">;
  readonly logger: Logger;
  /** How often the store's generation is polled for activations made on other replicas. Default 1,000 ms. */
  readonly refreshMs?: number;
  /** Pinned versions kept after their first use. Default 1,000. */
  readonly maxPinned?: number;
  /** Told after each poll, for metrics: whether it read anything beyond the generation. */
  readonly onRefresh?: (refresh: { readonly outcome: "unchanged" | "reloaded" | "error" }) => void;
  /** Told of each query of the store, for metrics: the poll, a reload, a pinned version's first read. */
  readonly onStoreRead?: (read: "generation" | "reload" | "version") => void;
}

/**
 * The prompts runs use, served from memory: every prompt's active version,
 * and each pinned version once it has been asked for (versions never
 * change, so a pinned one is cached for good). Choosing a run's prompt
 * queries the store only for a pinned version not seen before.
 */
export interface PromptCatalog {
  /**
   * The version a run of `name` uses: `version` when pinned, the active one
   * otherwise.
   * @throws {ConnectError} INVALID_ARGUMENT, reason PROMPT_NOT_FOUND or PROMPT_VERSION_NOT_FOUND, naming what is missing;
   *   UNAVAILABLE when a pinned version must be read and the store cannot answer.
   */
  resolve(name: string, version: string): CatalogPrompt | Promise<CatalogPrompt>;
  /**
   * What a run of `name` by `principal` uses: a pinned `version`; else, while
   * the prompt has a running experiment, the version of the principal's arm
   * (the same arm every time); else the active version. Throws as
   * {@link resolve} does.
   */
  choose(name: string, version: string, principal: string): PromptChoice | Promise<PromptChoice>;
  /** The active version of `name`, if it has one. */
  active(name: string): CatalogPrompt | undefined;
  /** The running experiment of `name`, if it has one. */
  experiment(name: string): CatalogExperiment | undefined;
  /** Reloads the active versions now (after an activation on this replica). */
  refresh(): Promise<void>;
  /** The store's activation generation the catalog is current as of. */
  generation(): number;
  /** Stops polling. */
  close(): void;
}

/**
 * Loads the active versions, then keeps them current: every `refreshMs` it
 * asks the store for the activation generation (one row, one index read),
 * and reloads the active versions only when it changed. A replica therefore
 * runs another replica's activation within `refreshMs` plus one query. While
 * the store is down the catalog keeps serving what it has, and logs once.
 */
export async function createPromptCatalog(options: PromptCatalogOptions): Promise<PromptCatalog> {
  const { store, logger, onRefresh } = options;
  const counted = options.onStoreRead ?? (() => undefined);
  const refreshMs = options.refreshMs ?? 1_000;
  let activeByName = new Map<string, CatalogPrompt>();
  let experimentsByPrompt = new Map<string, CatalogExperiment>();
  let current = -1;
  const pinned = new LRUCache<string, CatalogPrompt>({ max: options.maxPinned ?? 1_000 });
  let failing = false;
  let refreshing: Promise<void> | undefined;

  /** A version of `name`, from what is loaded or the store; undefined when the store has no such version. */
  const versionOf = async (name: string, version: string, active: ReadonlyMap<string, CatalogPrompt>): Promise<CatalogPrompt | undefined> => {
    const known = active.get(name)?.version === version ? active.get(name) : pinned.get(`${name}@${version}`);
    if (known !== undefined) {
      return known;
    }
    counted("version");
    const row = await store.getPromptVersion(name, version);
    if (row === undefined) {
      return undefined;
    }
    const prompt = catalogPrompt(row);
    pinned.set(prompt.id, prompt);
    return prompt;
  };

  /** Reads every active version and running experiment (its arms' versions too), then swaps them in at once. */
  const load = async (active: ActivePrompts, running: readonly ExperimentRow[]) => {
    const next = new Map<string, CatalogPrompt>();
    for (const row of active.prompts) {
      // The same version keeps its compiled form across reloads.
      const known = activeByName.get(row.name);
      next.set(row.name, known?.version === row.version ? known : catalogPrompt(row));
    }
    const experiments = new Map<string, CatalogExperiment>();
    for (const experiment of running) {
      const arms: CatalogArm[] = [];
      for (const arm of JSON.parse(experiment.arms) as StoredArm[]) {
        const prompt = await versionOf(experiment.prompt, arm.version, next);
        if (prompt === undefined) {
          // Versions are never deleted; a hand on the database did this. Runs keep the active version.
          logger.error({ experiment_id: experiment.experimentId, prompt: experiment.prompt, version: arm.version }, "an experiment's arm names a version that is not stored: the experiment is ignored");
          break;
        }
        arms.push({ ...arm, prompt });
      }
      if (arms.length === JSON.parse(experiment.arms).length) {
        experiments.set(experiment.prompt, { experimentId: experiment.experimentId, prompt: experiment.prompt, arms });
      }
    }
    activeByName = next;
    experimentsByPrompt = experiments;
    current = active.generation;
  };

  /** The active versions and running experiments, consistent with each other: read again if the generation moved in between. */
  const reload = async () => {
    for (let attempt = 0; ; attempt++) {
      counted("reload");
      const active = await store.activePrompts();
      const running = await store.runningExperiments();
      if (attempt >= 2 || (await store.promptsGeneration()) === active.generation) {
        await load(active, running);
        return;
      }
    }
  };

  const poll = async (): Promise<void> => {
    try {
      counted("generation");
      const generation = await store.promptsGeneration();
      if (generation === current) {
        onRefresh?.({ outcome: "unchanged" });
      } else {
        await reload();
        onRefresh?.({ outcome: "reloaded" });
      }
      if (failing) {
        failing = false;
        logger.info("the prompt store answers again: active prompt versions are current");
      }
    } catch (err) {
      onRefresh?.({ outcome: "error" });
      if (!failing) {
        failing = true;
        logger.warn({ err }, "cannot read the active prompt versions: runs use the ones read before until the store answers");
      }
    }
  };

  const refresh = (): Promise<void> => {
    // One read at a time; a refresh asked for during one waits for the next.
    refreshing = (refreshing ?? Promise.resolve()).then(poll).finally(() => undefined);
    return refreshing;
  };

  await reload();
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();

  const resolve = (name: string, version: string): CatalogPrompt | Promise<CatalogPrompt> => {
    if (version === "") {
      const active = activeByName.get(name);
      if (active === undefined) {
        throw promptNotFound(name);
      }
      return active;
    }
    const active = activeByName.get(name);
    if (active?.version === version) {
      return active;
    }
    const cached = pinned.get(`${name}@${version}`);
    if (cached !== undefined) {
      return cached;
    }
    return (async () => {
      let row: PromptVersionRow | undefined;
      try {
        counted("version");
        row = await store.getPromptVersion(name, version);
      } catch (err) {
        throw connectErrorWithDetail("the prompt store is unavailable, and the pinned prompt version must be read from it; retry shortly", Code.Unavailable, {
          reason: "PROMPT_STORE_UNAVAILABLE",
          retryAfterMs: 1_000,
        }, err);
      }
      if (row === undefined) {
        // A prompt has an active version from its first registration on: a name not active here is unknown.
        throw activeByName.has(name)
          ? connectErrorWithDetail(`prompt "${name}" has no version "${version}"; ListPromptVersions lists its versions`, Code.InvalidArgument, {
              reason: "PROMPT_VERSION_NOT_FOUND",
            })
          : promptNotFound(name);
      }
      const prompt = catalogPrompt(row);
      pinned.set(prompt.id, prompt);
      return prompt;
    })();
  };

  return {
    resolve,
    choose(name, version, principal) {
      const experiment = version === "" ? experimentsByPrompt.get(name) : undefined;
      if (experiment === undefined) {
        const prompt = resolve(name, version);
        return prompt instanceof Promise ? prompt.then(unassigned) : unassigned(prompt);
      }
      const chosen = assignArm(experiment.experimentId, principal, experiment.arms);
      const arm = experiment.arms.find((candidate) => candidate.version === chosen) ?? (experiment.arms[0] as CatalogArm);
      return { prompt: arm.prompt, experimentId: experiment.experimentId, experimentArm: arm.name };
    },
    active: (name) => activeByName.get(name),
    experiment: (name) => experimentsByPrompt.get(name),
    refresh,
    generation: () => current,
    close: () => clearInterval(timer),
  };
}

function unassigned(prompt: CatalogPrompt): PromptChoice {
  return { prompt, experimentId: "", experimentArm: "" };
}

function promptNotFound(name: string): ConnectError {
  return connectErrorWithDetail(`there is no prompt "${name}"; ListPrompts lists the prompts, RegisterPrompt adds one`, Code.InvalidArgument, {
    reason: "PROMPT_NOT_FOUND",
  });
}

/** A stored version, compiled once. */
export function catalogPrompt(row: PromptVersionRow): CatalogPrompt {
  const content = JSON.parse(row.content) as PromptContent;
  const compiled = compilePrompt(content);
  const id = `${row.name}@${row.version}`;
  return Object.freeze({
    name: row.name,
    version: row.version,
    id,
    content,
    bind(variables: Readonly<Record<string, string>>): PromptVersion {
      // Checked here, before the run starts; rendering checks again.
      const mismatch = compiled.check(variables);
      if (mismatch !== undefined) {
        throw variablesError(id, mismatch);
      }
      return {
        id,
        kind: content.kind,
        tools: content.tools,
        model: content.model,
        ...(content.outputSchema === undefined ? {} : { outputSchema: content.outputSchema }),
        messages: (input, history) => compiled.render({ input, variables, history }),
      };
    },
  });
}

function variablesError(id: string, err: PromptVariablesError): ConnectError {
  return connectErrorWithDetail(`${err.message} (prompt ${id})`, Code.InvalidArgument, { reason: "PROMPT_VARIABLES" }, err);
}
