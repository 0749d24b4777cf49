import { createErrorBrand } from "../errors/error-brand.js";

/**
 * Errors the gateway and the model policy raise about one model call, on top
 * of what the provider's SDK throws. Each has a brand guard.
 */

const midStreamBrand = createErrorBrand<MidStreamError>("MidStreamError");
const emptyResponseBrand = createErrorBrand<EmptyResponseError>("EmptyResponseError");
const callCanceledBrand = createErrorBrand<CallCanceledError>("CallCanceledError");

/** A model failed after part of its answer had been streamed to the caller; `cause` says how. */
export class MidStreamError extends Error {
  override readonly name = "MidStreamError";
  constructor(override readonly cause: unknown) {
    super("the model failed after it had started streaming", { cause });
    midStreamBrand.mark(this);
  }
}

/** True when `err` is a {@link MidStreamError}, from any copy of this package. */
export const isMidStreamError = midStreamBrand.is;

/** The model's stream ended without a single chunk: an answer cut short before it began. */
export class EmptyResponseError extends Error {
  override readonly name = "EmptyResponseError";
  constructor() {
    super("the model sent no chunks");
    emptyResponseBrand.mark(this);
  }
}

/** True when `err` is an {@link EmptyResponseError}, from any copy of this package. */
export const isEmptyResponseError = emptyResponseBrand.is;

/**
 * A call ended because whoever asked for it went away (`cause` is the
 * signal's reason, which may be any value). Only the model policy throws it,
 * and only inside: its retry and breaker must see that the caller, not the
 * model, ended the call. Callers of the policy get the signal's reason.
 */
export class CallCanceledError extends Error {
  override readonly name = "CallCanceledError";
  constructor(override readonly cause: unknown) {
    super("the caller went away", { cause });
    callCanceledBrand.mark(this);
  }
}

/** True when `err` is a {@link CallCanceledError}, from any copy of this package. */
export const isCallCanceledError = callCanceledBrand.is;
