import axe from "axe-core";
import type { AxeResults, ImpactValue, Result } from "axe-core";
import type { Page } from "playwright-core";

/** The impacts an accessibility check of the viewer fails on. */
const failingImpacts: ReadonlySet<ImpactValue> = new Set<ImpactValue>(["serious", "critical"]);

/**
 * Runs axe-core on the whole document of `page` and returns its serious and critical
 * violations, each as one readable line with the elements it found.
 *
 * axe's source is evaluated through the DevTools protocol rather than added as an inline
 * `<script>`: the viewer's Content-Security-Policy (`script-src 'self'`) rightly refuses
 * inline scripts, and the refusal would itself be a console error.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const results = await page.evaluate(async () => {
    const scope = globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<AxeResults> }; document: unknown };
    return scope.axe.run(scope.document, { resultTypes: ["violations"] });
  });
  return results.violations.filter((violation) => violation.impact != null && failingImpacts.has(violation.impact)).map(describeViolation);
}

function describeViolation(violation: Result): string {
  const nodes = violation.nodes.map((node) => `    ${node.target.join(" ")}: ${node.failureSummary ?? node.html}`).join("\n");
  return `${violation.impact ?? "?"} ${violation.id}: ${violation.help} (${violation.helpUrl})\n${nodes}`;
}
