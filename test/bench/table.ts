/** Prints rows as an aligned plain-text table; numbers are rounded to at most 3 significant decimals. */
export function printTable(rows: ReadonlyArray<object>, columns: readonly string[]): void {
  const cell = (value: unknown): string => {
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
    if (value === undefined || value === null) return "-";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  };
  const body = rows.map((row) => columns.map((column) => cell((row as Record<string, unknown>)[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...body.map((line) => line[i].length)));
  // numbers right-aligned, text (names, descriptions) left-aligned
  const text = columns.map((column) => rows.some((row) => typeof (row as Record<string, unknown>)[column] === "string"));
  const format = (line: readonly string[]) => line.map((cellText, i) => (text[i] ? cellText.padEnd(widths[i]) : cellText.padStart(widths[i]))).join("  ").trimEnd();
  console.log(format(columns));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const line of body) console.log(format(line));
}
