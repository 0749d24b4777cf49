import { createErrorBrand } from "../errors/error-brand.js";
import { classifyModelFailure, type ModelFailureKind } from "./model-failure.js";

/** Why one model could not answer a turn. */
export interface ModelFailure {
  readonly model: string;
  /** What went wrong, from {@link classifyModelFailure}. */
  readonly kind: ModelFailureKind;
  /** A few words safe to show a caller. */
  readonly reason: string;
  /** True when trying again later may succeed (overload, outage, open breaker); false when the request or configuration is wrong. */
  readonly transient: boolean;
}

/** The {@link ModelFailure} of `model` failing with `err`. */
export function modelFailureOf(model: string, err: unknown): ModelFailure {
  const failure = classifyModelFailure(err);
  return { model, kind: failure.kind, reason: failure.description, transient: failure.transient };
}

const modelsUnavailableBrand = createErrorBrand<ModelsUnavailableError>("ModelsUnavailableError");

/** Every model of the fallback chain failed for this turn. */
export class ModelsUnavailableError extends Error {
  override readonly name = "ModelsUnavailableError";
  constructor(readonly failures: readonly ModelFailure[]) {
    super(`no model could answer: ${failures.map((f) => `${f.model} (${f.reason})`).join(", ")}`);
    modelsUnavailableBrand.mark(this);
  }
}

/** True when no model failed for a reason that may pass: retrying cannot help. */
export function isPermanentModelFailure(err: ModelsUnavailableError): boolean {
  return err.failures.length > 0 && err.failures.every((failure) => !failure.transient);
}

/** True when `err` is a {@link ModelsUnavailableError}, from any copy of this package. */
export const isModelsUnavailableError = modelsUnavailableBrand.is;
