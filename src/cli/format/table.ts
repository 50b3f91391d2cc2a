/**
 * Columns aligned as docker aligns them: Go's text/tabwriter with minwidth 10, tabwidth 1,
 * padding 3 and space padding; the last cell of a row is not padded.
 */

/** Render rows (header first) as docker's tables. */
export function renderTable(rows: readonly (readonly string[])[], minWidth = 10, padding = 3): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((cell, i) => {
      if (i === r.length - 1) return;
      const w = Math.max(minWidth, [...cell].length + padding);
      widths[i] = Math.max(widths[i] ?? 0, w);
    });
  }
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) - ([...cell].length - cell.length)))).join("")).join("\n") + (rows.length > 0 ? "\n" : "");
}
