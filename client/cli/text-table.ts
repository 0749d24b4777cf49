/** Longest cell printed; longer ones (a note, a statement) end in "…" so that one cell cannot push a table off the screen. */
const maxCellLength = 60;

/**
 * Rows as a plain-text table: a header row, then one line per row, columns
 * padded to their widest cell and two spaces apart, trailing spaces trimmed.
 * Newlines in a cell print as spaces.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [header, ...rows].map((row) => row.map(cellText));
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n") + "\n";
}

function cellText(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, " ");
  return flat.length > maxCellLength ? `${flat.slice(0, maxCellLength - 1)}…` : flat;
}
