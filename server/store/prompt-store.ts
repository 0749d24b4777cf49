/**
 * What the service keeps of its prompts, and the interface it keeps them
 * through: immutable versions, one active version per prompt, and the
 * history of activations, on the same PostgreSQL or PGlite as the runs.
 */

/** One registered version of a prompt, as stored. */
export interface PromptVersionRow {
  readonly name: string;
  /** The content's hash (see `prompt-hash.ts`). */
  readonly version: string;
  /** The content's canonical JSON: exactly the text that was hashed. */
  readonly content: string;
  /** Who registered it first. */
  readonly author: string;
  readonly note: string;
  readonly createdAt: Date;
}

/** One activation of a version. */
export interface PromptActivationRow {
  /** Increases with every activation of any prompt: what replicas poll to see a change. */
  readonly seq: number;
  readonly name: string;
  readonly version: string;
  readonly activatedBy: string;
  readonly activatedAt: Date;
  readonly note: string;
}

/** An activation to record. */
export interface PromptActivationRequest {
  readonly name: string;
  readonly version: string;
  readonly activatedBy: string;
  readonly activatedAt: Date;
  readonly note: string;
}

/** What {@link PromptStore.activatePromptVersion} did. */
export type PromptActivationOutcome =
  /** No such version of that prompt: nothing changed. */
  | { readonly kind: "not_found" }
  /** It was already the active version: nothing changed. */
  | { readonly kind: "unchanged" }
  /** It is now the active one; `previousVersion` is undefined for a prompt's first activation. */
  | { readonly kind: "activated"; readonly activation: PromptActivationRow; readonly previousVersion: string | undefined };

/** What {@link PromptStore.registerPromptVersion} did. */
export interface PromptRegistration {
  /** The stored version: the new one, or the one registered before with the same content. */
  readonly row: PromptVersionRow;
  /** False when the same content was registered before. */
  readonly created: boolean;
  /** The activation this registration made, when it made one. */
  readonly activation: Extract<PromptActivationOutcome, { kind: "activated" }> | undefined;
}

/** Every prompt's active version, and the activation seq they are current as of. */
export interface ActivePrompts {
  /** The highest activation seq: the same value means the same active versions. */
  readonly generation: number;
  /** Ordered by name. */
  readonly prompts: readonly PromptVersionRow[];
}

/** The prompts' store. */
export interface PromptStore {
  /**
   * Stores `row` unless that version of that prompt is already stored, in
   * one transaction with its activation when `activate` is true or when the
   * prompt has no active version yet (its first version).
   */
  registerPromptVersion(row: PromptVersionRow, activate: boolean, activatedBy: string): Promise<PromptRegistration>;
  getPromptVersion(name: string, version: string): Promise<PromptVersionRow | undefined>;
  /** A prompt's versions, newest registration first. */
  listPromptVersions(name: string): Promise<PromptVersionRow[]>;
  /** A prompt's activations, newest first, at most `limit`. */
  listPromptActivations(name: string, limit: number): Promise<PromptActivationRow[]>;
  /**
   * Makes a version the active one of its prompt, atomically: activations
   * (of every prompt) hold one lock, so concurrent ones happen one after the
   * other, each records the version it replaced, and their seqs commit in
   * order.
   */
  activatePromptVersion(request: PromptActivationRequest): Promise<PromptActivationOutcome>;
  /** Every prompt's active version. */
  activePrompts(): Promise<ActivePrompts>;
  /** {@link ActivePrompts.generation} alone: a cheap query to poll. */
  promptsGeneration(): Promise<number>;
}
