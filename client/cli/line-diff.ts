/** One line of a diff: in both texts, only in the first, or only in the second. */
export interface DiffLine {
  readonly op: "same" | "removed" | "added";
  readonly text: string;
}

/**
 * Above this many cells (lines of one text times lines of the other, once
 * the common start and end are set aside) the middle is shown as removed
 * then added instead of aligned: the table would take too much memory. A
 * prompt's content is far below it.
 */
const maxTableCells = 4_000_000;

/**
 * The line diff of two texts' lines: a longest common subsequence, so the
 * fewest lines show as removed and added. Our own, in a few lines, rather
 * than a dependency: nothing in the tree diffs text, and prompt contents are
 * small. Removals come before additions where lines changed.
 */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) {
    start += 1;
  }
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) {
    end += 1;
  }
  const same = (lines: readonly string[]): DiffLine[] => lines.map((text) => ({ op: "same", text }));
  return [
    ...same(before.slice(0, start)),
    ...alignMiddle(before.slice(start, before.length - end), after.slice(start, after.length - end)),
    ...same(before.slice(before.length - end)),
  ];
}

/** The diff of two runs of lines by dynamic programming over their longest common subsequence. */
function alignMiddle(before: readonly string[], after: readonly string[]): DiffLine[] {
  const removed = before.map((text): DiffLine => ({ op: "removed", text }));
  const added = after.map((text): DiffLine => ({ op: "added", text }));
  if (before.length === 0 || after.length === 0 || before.length * after.length > maxTableCells) {
    return [...removed, ...added];
  }
  // common[i][j]: the length of the LCS of before[i..] and after[j..], row-major.
  const width = after.length + 1;
  const common = new Uint32Array((before.length + 1) * width);
  for (let i = before.length - 1; i >= 0; i -= 1) {
    for (let j = after.length - 1; j >= 0; j -= 1) {
      common[i * width + j] =
        before[i] === after[j] ? (common[(i + 1) * width + j + 1] ?? 0) + 1 : Math.max(common[(i + 1) * width + j] ?? 0, common[i * width + j + 1] ?? 0);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    if (before[i] === after[j]) {
      lines.push({ op: "same", text: before[i] as string });
      i += 1;
      j += 1;
    } else if ((common[(i + 1) * width + j] ?? 0) >= (common[i * width + j + 1] ?? 0)) {
      lines.push(removed[i] as DiffLine);
      i += 1;
    } else {
      lines.push(added[j] as DiffLine);
      j += 1;
    }
  }
  return [...lines, ...removed.slice(i), ...added.slice(j)];
}

/**
 * `lines` in the unified format of `diff -u` and git: a `---`/`+++` header,
 * then each run of changes with `context` unchanged lines around it under an
 * `@@ -start,count +start,count @@` line. Empty when nothing changed.
 */
export function formatUnifiedDiff(lines: readonly DiffLine[], labels: { readonly from: string; readonly to: string }, context = 3): string {
  const changed = lines.flatMap((line, index) => (line.op === "same" ? [] : [index]));
  if (changed.length === 0) {
    return "";
  }
  // Runs of changes closer than two contexts apart share a hunk.
  const hunks: { first: number; last: number }[] = [];
  for (const index of changed) {
    const current = hunks.at(-1);
    if (current !== undefined && index - current.last <= 2 * context) {
      current.last = index;
    } else {
      hunks.push({ first: index, last: index });
    }
  }
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const hunk of hunks) {
    const from = Math.max(0, hunk.first - context);
    const to = Math.min(lines.length, hunk.last + context + 1);
    const slice = lines.slice(from, to);
    const beforeStart = lines.slice(0, from).filter((line) => line.op !== "added").length;
    const afterStart = lines.slice(0, from).filter((line) => line.op !== "removed").length;
    const beforeCount = slice.filter((line) => line.op !== "added").length;
    const afterCount = slice.filter((line) => line.op !== "removed").length;
    out.push(`@@ -${beforeStart + (beforeCount === 0 ? 0 : 1)},${beforeCount} +${afterStart + (afterCount === 0 ? 0 : 1)},${afterCount} @@`);
    out.push(...slice.map((line) => `${line.op === "same" ? " " : line.op === "removed" ? "-" : "+"}${line.text}`));
  }
  return `${out.join("\n")}\n`;
}
