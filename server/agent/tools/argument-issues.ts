import type { z } from "zod";

/** Enough issues for the model to fix its call; beyond this the list only costs tokens. */
const maxListedIssues = 5;

/**
 * Summarises why arguments failed their schema in one line the model can act on, as
 * `path: message` pairs, e.g. `expression: Required; limit: Too big: expected number to be <=100`.
 *
 * `args` is the parsed JSON that failed, used to say "Required" when a field is missing rather
 * than zod's "expected string, received undefined".
 */
export function formatArgumentIssues(issues: readonly z.core.$ZodIssue[], args: unknown): string {
  const listed = issues.slice(0, maxListedIssues).map((issue) => {
    const missing = issue.code === "invalid_type" && issue.path.length > 0 && valueAt(args, issue.path) === undefined;
    return `${formatPath(issue.path)}: ${missing ? "Required" : issue.message}`;
  });
  const unlisted = issues.length - listed.length;
  return unlisted > 0 ? `${listed.join("; ")}; and ${unlisted} more` : listed.join("; ");
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) {
    return "arguments";
  }
  let text = "";
  for (const key of path) {
    if (typeof key === "number") {
      text += `[${key}]`;
    } else {
      const name = String(key);
      text += text === "" ? name : `.${name}`;
    }
  }
  return text;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null || typeof key === "symbol") {
      return undefined;
    }
    // Own properties only: a field named "constructor" must not find Object.prototype's.
    if (!Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
