import { readFileSync } from "node:fs";
import { inject } from "vitest";

let template: Blob | undefined;

/** Where the test run's embedded-store template is (see `global-setup.ts`), for `AGENT_DATA_TEMPLATE`. */
export function storeTemplatePath(): string {
  return inject("pgliteTemplatePath");
}

/** The embedded store's template the test run built once (see `global-setup.ts`), read once per test file. */
export function storeTemplate(): Blob {
  template ??= new Blob([readFileSync(storeTemplatePath())]);
  return template;
}
