/** One problem found while compiling policies. */
export interface Diagnostic {
  severity: "error" | "warning";
  /** Source file, relative to the policies directory (absent for in-memory input). */
  file?: string;
  /** 1-based line and column, when Cedar reported a location. */
  line?: number;
  column?: number;
  /** The policy concerned, when known. */
  policy?: string;
  /** Cedar's message (with its help text after `: help: `, when it gave one). */
  message: string;
}

/** Renders a diagnostic as `file:line:column: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file ?? "<policies>", d.line, d.column].filter((x) => x !== undefined).join(":");
  return `${where}: ${d.severity}: ${d.policy !== undefined ? `policy \`${d.policy}\`: ` : ""}${d.message}`;
}

/** The policies failed to parse or validate; `diagnostics` lists every problem. */
export class PolicyCompileError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    super(`policy compilation failed:\n${errors.map(formatDiagnostic).join("\n")}`);
    this.name = "PolicyCompileError";
    this.diagnostics = diagnostics;
  }
}
