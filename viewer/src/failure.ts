/**
 * What the pages do with a failed call, whichever client made it: a sentence for the page, back to
 * the sign-in when the credentials were refused, nothing when the page aborted the call itself.
 * Errors are told apart by their type: a {@link CallError} here, and a `ConnectError` where
 * `api.ts` adds its own {@link Classify}.
 */
import { CallError, type CodeName } from "./call-json.js";

/** A failed call's code and the service's message; undefined for an error that is not a call's. */
export type Classify = (err: unknown) => { readonly code: CodeName; readonly message: string } | undefined;

/** The failures of `call-json.ts`. */
export const classifyCallError: Classify = (err) => (err instanceof CallError ? { code: err.code, message: err.rawMessage } : undefined);

/** True for the error a call ends with when its page aborted it: nothing to show. */
export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted === true) {
    return true;
  }
  return err instanceof DOMException && err.name === "AbortError";
}

/** The sentence for a call that failed with `code`: what happened and, where it helps, what to do. */
function sentence(code: CodeName, message: string): string {
  const said = message === "" ? code : message;
  switch (code) {
    case "unavailable":
      return `The service is unavailable: ${said}. It will be retried.`;
    case "permission_denied":
      return `Not allowed: ${said}`;
    case "not_found":
      return `Not found: ${said}`;
    case "unauthenticated":
      return `Not signed in: ${said}`;
    default:
      return `${said} (${code})`;
  }
}

/** A sentence for the page about a failed call (`classify` tells the calls' errors apart). */
export function errorMessageOf(err: unknown, classify: Classify = classifyCallError): string {
  const failure = classify(err);
  if (failure !== undefined) {
    return sentence(failure.code, failure.message);
  }
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/** True when the service refused the credentials: the page goes back to sign-in. */
export function isUnauthenticatedOf(err: unknown, classify: Classify = classifyCallError): boolean {
  return classify(err)?.code === "unauthenticated";
}

/**
 * What a page does with a call that failed: nothing when the page itself aborted it (it changed),
 * back to the sign-in when the service refused the credentials, else `show` the sentence for it.
 */
export function failureHandlerOf(
  classify: Classify,
): (signal: AbortSignal | undefined, signedOut: () => void, show: (message: string) => void) => (err: unknown) => void {
  return (signal, signedOut, show) => (err) => {
    if (isAbort(err, signal)) {
      return;
    }
    if (isUnauthenticatedOf(err, classify)) {
      signedOut();
      return;
    }
    show(errorMessageOf(err, classify));
  };
}

/** {@link failureHandlerOf} the calls of `call-json.ts`. */
export const callFailureHandler = failureHandlerOf(classifyCallError);
