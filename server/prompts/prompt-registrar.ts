import type { AuditEntry, PromptActivationOutcome, PromptRegistration, PromptStore } from "../store/index.js";
import type { PromptCatalog } from "./prompt-catalog.js";
import type { PromptContent } from "./prompt-content.js";
import { definePromptContent } from "./prompt-definition.js";
import { PromptDefinitionError } from "./prompt-definition-error.js";
import { canonicalPromptJson, promptVersionId } from "./prompt-hash.js";

/** A prompt name: what callers pass as `prompt`, logs and metrics carry. */
export const promptNamePattern = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

/** Longest note of a registration or an activation. */
export const maxNoteChars = 1_000;

/** A registration as it is asked for. */
export interface RegisterPromptRequest {
  readonly name: string;
  /** The version's definition, as an RPC or a prompts file gives it; validated here. */
  readonly definition: unknown;
  readonly note: string;
  /** Activate it once registered (a prompt's first version always is). */
  readonly activate: boolean;
  /** The principal registering it, or "startup". */
  readonly author: string;
  /** The trace id of the call, for the audit log; empty when none. */
  readonly traceId: string;
}

/** An activation as it is asked for. */
export interface ActivatePromptRequest {
  readonly name: string;
  readonly version: string;
  readonly note: string;
  readonly activatedBy: string;
  readonly traceId: string;
}

/** Registers and activates prompt versions: the one path to change prompts, audited, and seen by the catalog at once. */
export interface PromptRegistrar {
  /**
   * @throws {PromptDefinitionError} when the name, note or definition is not valid (naming the field)
   */
  register(request: RegisterPromptRequest): Promise<PromptRegistration & { readonly content: PromptContent }>;
  /** @throws {PromptDefinitionError} when the name or note is not valid */
  activate(request: ActivatePromptRequest): Promise<PromptActivationOutcome>;
}

/** Options of {@link createPromptRegistrar}. */
export interface PromptRegistrarOptions {
  readonly store: Pick<PromptStore, "registerPromptVersion" | "activatePromptVersion">;
  readonly catalog: Pick<PromptCatalog, "refresh">;
  /** Where changes are appended to the audit log (it only queues). */
  readonly audit: { append(entry: AuditEntry): void };
  /** The names of the tools an agent may list. */
  readonly knownTools: ReadonlySet<string>;
  readonly now?: () => number;
}

/** Creates the registrar over the store, refreshing `catalog` after every change and auditing it. */
export function createPromptRegistrar(options: PromptRegistrarOptions): PromptRegistrar {
  const { store, catalog, audit, knownTools } = options;
  const now = options.now ?? Date.now;

  const auditActivation = (name: string, outcome: PromptActivationOutcome, traceId: string) => {
    if (outcome.kind !== "activated") {
      return;
    }
    audit.append({
      action: "prompt_activated",
      principal: outcome.activation.activatedBy,
      runId: "",
      traceId,
      at: outcome.activation.activatedAt,
      detail: { prompt: name, version: outcome.activation.version, previous_version: outcome.previousVersion ?? "", activation_seq: outcome.activation.seq },
    });
  };

  return {
    async register(request) {
      checkName(request.name);
      checkNote(request.note);
      const content = definePromptContent(request.definition, { knownTools });
      const version = promptVersionId(content);
      const registration = await store.registerPromptVersion(
        { name: request.name, version, content: canonicalPromptJson(content), author: request.author, note: request.note, createdAt: new Date(now()) },
        request.activate,
        request.author,
      );
      if (registration.created) {
        audit.append({
          action: "prompt_registered",
          principal: request.author,
          runId: "",
          traceId: request.traceId,
          at: registration.row.createdAt,
          detail: { prompt: request.name, version, kind: content.kind },
        });
      }
      if (registration.activation !== undefined) {
        auditActivation(request.name, registration.activation, request.traceId);
        await catalog.refresh();
      }
      return { ...registration, content };
    },
    async activate(request) {
      checkName(request.name);
      checkNote(request.note);
      const outcome = await store.activatePromptVersion({
        name: request.name,
        version: request.version,
        activatedBy: request.activatedBy,
        activatedAt: new Date(now()),
        note: request.note,
      });
      auditActivation(request.name, outcome, request.traceId);
      if (outcome.kind === "activated") {
        await catalog.refresh();
      }
      return outcome;
    },
  };
}

function checkName(name: string): void {
  if (!promptNamePattern.test(name)) {
    throw new PromptDefinitionError("name", `must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter, got ${JSON.stringify(name.slice(0, 80))}`);
  }
}

function checkNote(note: string): void {
  if (note.length > maxNoteChars) {
    throw new PromptDefinitionError("note", `must be at most ${maxNoteChars} characters, got ${note.length}`);
  }
}
