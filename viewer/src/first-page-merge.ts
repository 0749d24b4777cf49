/**
 * How the runs list takes in a fresh first page from its poll: runs it has not shown go on top
 * (newest first, as the page has them), runs it shows are replaced by their fresh record (a
 * running run that has ended since), and runs beyond the first page stay as they were. When
 * every run of the fresh page is new, more runs started than a page holds: between them and
 * the runs shown there may be others, so the fresh page replaces the list (no silent gap).
 */

/** The list after a poll, and the ids of the runs it added. */
export interface MergedPage<Run> {
  readonly runs: readonly Run[];
  readonly added: readonly string[];
  /** True when the fresh page replaced the list: its next page is the fresh page's. */
  readonly replaced: boolean;
}

/** `shown` with the fresh first page `fresh` merged in. */
export function mergeFirstPage<Run extends { readonly runId: string }>(shown: readonly Run[], fresh: readonly Run[]): MergedPage<Run> {
  const shownIds = new Set(shown.map((run) => run.runId));
  const freshById = new Map(fresh.map((run) => [run.runId, run]));
  const added = fresh.filter((run) => !shownIds.has(run.runId));
  if (shown.length > 0 && fresh.length > 0 && added.length === fresh.length) {
    return { runs: fresh, added: added.map((run) => run.runId), replaced: true };
  }
  return {
    runs: [...added, ...shown.map((run) => freshById.get(run.runId) ?? run)],
    added: added.map((run) => run.runId),
    replaced: false,
  };
}
