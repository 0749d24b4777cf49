/**
 * What the service keeps of prompt experiments and of the feedback callers
 * give their runs, and the interface it keeps them through.
 */

/** Where an experiment is in its life. Only `running` ever changes. */
export type ExperimentStatus = "running" | "stopped" | "rolled_back" | "promoted";

/** One experiment, as stored. */
export interface ExperimentRow {
  readonly experimentId: string;
  readonly prompt: string;
  /** Its arms as JSON: `[{ name, version, weight }]`, the control first. */
  readonly arms: string;
  /** Its canary rules as JSON; empty for an A/B experiment. */
  readonly canary: string;
  /** What the canary check keeps between looks, as JSON; empty when none. */
  readonly canaryState: string;
  readonly status: ExperimentStatus;
  readonly note: string;
  readonly startedBy: string;
  readonly startedAt: Date;
  readonly endedAt: Date | undefined;
  readonly endedBy: string;
  readonly endReason: string;
}

/** How an experiment ended. */
export interface ExperimentEnding {
  readonly status: Exclude<ExperimentStatus, "running">;
  readonly endedBy: string;
  readonly endedAt: Date;
  readonly endReason: string;
}

/** What one ended run of an experiment did, for its results. */
export interface ArmOutcomeRow {
  readonly arm: string;
  /** Completed with a final answer. */
  readonly succeeded: boolean;
  readonly latencyMs: number;
  readonly tokens: number;
  readonly costUsd: number;
  /** The run's feedback score, when it has one. */
  readonly feedback: number | undefined;
}

/** One feedback score. */
export interface FeedbackRow {
  readonly runId: string;
  readonly principal: string;
  readonly score: number;
  readonly comment: string;
  readonly at: Date;
}

/** The experiments' store. */
export interface ExperimentStore {
  /**
   * Stores a running experiment and moves the prompts' generation on (so
   * every replica's catalog reloads), in one transaction. `conflict` when
   * the prompt already has a running experiment (nothing is stored).
   */
  startExperiment(row: ExperimentRow): Promise<{ readonly kind: "started" } | { readonly kind: "conflict"; readonly running: ExperimentRow }>;
  /**
   * Ends a running experiment as `ending` says, moving the generation on.
   * Undefined when it is not running (never was, or already ended: the
   * first ending wins, whichever replica asks).
   */
  endExperiment(experimentId: string, ending: ExperimentEnding): Promise<ExperimentRow | undefined>;
  getExperiment(experimentId: string): Promise<ExperimentRow | undefined>;
  /** Newest first, at most `limit`; every prompt's when `prompt` is undefined. */
  listExperiments(prompt: string | undefined, limit: number): Promise<ExperimentRow[]>;
  /** Every running experiment. */
  runningExperiments(): Promise<ExperimentRow[]>;
  /** Keeps the canary check's state of a running experiment. */
  saveCanaryState(experimentId: string, state: string): Promise<void>;
  /** The ended runs of an experiment started in [after, before), oldest first, at most `limit`. */
  experimentOutcomes(experimentId: string, window: { readonly after?: Date; readonly before?: Date; readonly limit: number }): Promise<ArmOutcomeRow[]>;
  /** Keeps a run's score, replacing an earlier one; `first` is false when it did. */
  submitFeedback(row: FeedbackRow): Promise<{ readonly first: boolean }>;
}
