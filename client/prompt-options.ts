import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CanaryRulesSchema, ExperimentArm, GetExperimentResultsRequest, PromptContentSchema } from "../gen/agent/v1/prompt_service_pb.js";
import type { CallOptions } from "./client-options.js";

/**
 * A version's content as `prompts.register` takes it: the fields of the
 * generated `PromptContent`, each optional as in `create()`, such as
 * `{ messages: [{ role: PromptRole.SYSTEM, template: "You are terse." }] }`.
 * The service validates it and names the field of the first problem.
 */
export type PromptContentInit = MessageInitShape<typeof PromptContentSchema>;

/** One arm of an experiment: its name, a registered version of the prompt and its relative weight. */
export type ExperimentArmInit = Pick<ExperimentArm, "name" | "version" | "weight">;

/**
 * What makes an experiment a canary (a guarded rollout), as the generated
 * `CanaryRules` with every field optional: `{}` is the service's default stop
 * rules without auto-promotion.
 */
export type CanaryRulesInit = MessageInitShape<typeof CanaryRulesSchema>;

/** Options of `prompts.register`. */
export interface RegisterPromptOptions extends CallOptions {
  /** Why this version, up to 1,000 characters; kept with the version and in the audit log. Default none. */
  readonly note?: string;
  /** Make the version active once registered (a prompt's first version always is). Default false. */
  readonly activate?: boolean;
}

/** Options of `prompts.activate`. */
export interface ActivatePromptOptions extends CallOptions {
  /** Why, up to 1,000 characters; kept in the activation history and the audit log. Default none. */
  readonly note?: string;
}

/** Options of `prompts.startExperiment`. */
export interface StartExperimentOptions extends CallOptions {
  /**
   * Makes it a canary: exactly two arms, the first the active version; the
   * service rolls the canary back when it breaks a stop rule, or promotes it
   * when `autoPromote` is set and it holds. Default none: a plain A/B split.
   */
  readonly canary?: CanaryRulesInit;
  /** Why, up to 1,000 characters. Default none. */
  readonly note?: string;
}

/** Options of `prompts.stopExperiment`. */
export interface StopExperimentOptions extends CallOptions {
  /** Why, up to 1,000 characters; the experiment's end reason. Default none. */
  readonly note?: string;
}

/** The window of `prompts.experimentResults`: runs started at or after `after` and before `before`. Default the whole experiment. */
export type ExperimentResultsOptions = CallOptions & Partial<Pick<GetExperimentResultsRequest, "after" | "before">>;

/** Options of `AgentClient.submitFeedback`. */
export interface SubmitFeedbackOptions extends CallOptions {
  /** A comment on the run, up to 2,000 characters. Default none. */
  readonly comment?: string;
}
