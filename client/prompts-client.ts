import type { CallOptions as ConnectCallOptions, Client } from "@connectrpc/connect";
import type {
  ActivatePromptVersionResponse,
  GetExperimentResultsResponse,
  GetPromptResponse,
  ListExperimentsResponse,
  ListPromptsResponse,
  ListPromptVersionsResponse,
  PromptService,
  RegisterPromptResponse,
  StartExperimentResponse,
  StopExperimentResponse,
} from "../gen/agent/v1/prompt_service_pb.js";
import type { CallFailureContext } from "./call-failure.js";
import type { CallOptions } from "./client-options.js";
import type {
  ActivatePromptOptions,
  ExperimentArmInit,
  ExperimentResultsOptions,
  PromptContentInit,
  RegisterPromptOptions,
  StartExperimentOptions,
  StopExperimentOptions,
} from "./prompt-options.js";

/**
 * One unary call of the agent client: its deadline, headers and retry
 * schedule, with the failure context that decides which failures a new
 * attempt may follow.
 */
export type UnaryCall = <T>(
  call: CallOptions | undefined,
  send: (options: ConnectCallOptions) => Promise<T>,
  context?: Pick<CallFailureContext, "atMostOnce">,
) => Promise<T>;

/**
 * The service's prompts (`agent.v1.PromptService`): versions, activation and
 * rollback, experiments. Registering, activating and experiments need the
 * admin role; reading needs caller. Each method says whether it retries: a
 * call is repeated after a retryable failure only when a repeat cannot do
 * what the first attempt did not intend. Errors are `AgentServiceError`s:
 * INVALID_ARGUMENT naming the field, NOT_FOUND naming the prompt, version or
 * experiment, PERMISSION_DENIED, UNAVAILABLE.
 */
export interface PromptsClient {
  /**
   * Registers `content` as a version of prompt `name` (creating the prompt
   * if it is new; its first version becomes active). Retried: the same
   * content is the same version, so a repeat adds nothing; a repeat after a
   * lost answer reports `created: false` for the version the first attempt
   * created.
   */
  register(name: string, content: PromptContentInit, options?: RegisterPromptOptions): Promise<RegisterPromptResponse>;
  /** The prompt's active version, or `version`, with its content. Retried. */
  get(name: string, version?: string, options?: CallOptions): Promise<GetPromptResponse>;
  /** Every prompt's active version, by name. Retried. */
  list(options?: CallOptions): Promise<ListPromptsResponse>;
  /** The prompt's versions, newest registration first, and its activation history, newest first. Retried. */
  versions(name: string, options?: CallOptions): Promise<ListPromptVersionsResponse>;
  /**
   * Makes `version` the prompt's active one; a rollback is activating an
   * older one. Retried: activating the active version changes nothing (a
   * repeat after a lost answer reports an empty `previousVersion`).
   */
  activate(name: string, version: string, options?: ActivatePromptOptions): Promise<ActivatePromptVersionResponse>;
  /**
   * Starts an experiment on `prompt`: runs naming it without a pinned
   * version are split between `arms` by weight, sticky per principal; the
   * first arm is the control. NOT retried once the request may have reached
   * the service, since a repeat would be refused as "already running"; only
   * when the connection could not be opened, or a rate limit asks for a wait.
   * After a failure such as a lost connection, `listExperiments(prompt)`
   * tells whether it started.
   */
  startExperiment(prompt: string, arms: readonly ExperimentArmInit[], options?: StartExperimentOptions): Promise<StartExperimentResponse>;
  /**
   * Stops a running experiment; runs go back to the active version. Retried:
   * stopping an experiment that has ended changes nothing and answers how it
   * ended.
   */
  stopExperiment(experimentId: string, options?: StopExperimentOptions): Promise<StopExperimentResponse>;
  /** An experiment's results per arm over a window, and each arm against the control. Retried. */
  experimentResults(experimentId: string, options?: ExperimentResultsOptions): Promise<GetExperimentResultsResponse>;
  /** The experiments of `prompt`, or of every prompt, newest first (at most 100). Retried. */
  listExperiments(prompt?: string, options?: CallOptions): Promise<ListExperimentsResponse>;
}

/** Creates the prompts part of the agent client, over its PromptService client and its unary call. */
export function createPromptsClient(prompts: Client<typeof PromptService>, unary: UnaryCall): PromptsClient {
  return {
    register(name, content, call) {
      const request = { name, content, note: call?.note ?? "", activate: call?.activate ?? false };
      return unary(call, (attempt) => prompts.registerPrompt(request, attempt));
    },

    get(name, version, call) {
      return unary(call, (attempt) => prompts.getPrompt({ name, version: version ?? "" }, attempt));
    },

    list(call) {
      return unary(call, (attempt) => prompts.listPrompts({}, attempt));
    },

    versions(name, call) {
      return unary(call, (attempt) => prompts.listPromptVersions({ name }, attempt));
    },

    activate(name, version, call) {
      return unary(call, (attempt) => prompts.activatePromptVersion({ name, version, note: call?.note ?? "" }, attempt));
    },

    startExperiment(prompt, arms, call) {
      const request = {
        prompt,
        arms: arms.map(({ name, version, weight }) => ({ name, version, weight })),
        ...(call?.canary === undefined ? {} : { canary: call.canary }),
        note: call?.note ?? "",
      };
      return unary(call, (attempt) => prompts.startExperiment(request, attempt), { atMostOnce: true });
    },

    stopExperiment(experimentId, call) {
      return unary(call, (attempt) => prompts.stopExperiment({ experimentId, note: call?.note ?? "" }, attempt));
    },

    experimentResults(experimentId, call) {
      const request = { experimentId, after: call?.after, before: call?.before };
      return unary(call, (attempt) => prompts.getExperimentResults(request, attempt));
    },

    listExperiments(prompt, call) {
      return unary(call, (attempt) => prompts.listExperiments({ prompt: prompt ?? "" }, attempt));
    },
  };
}
