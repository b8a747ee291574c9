// Reporting helpers the policy commands share, imported by them only once they run: these need the
// compiler and the analysis (and so cedar-wasm), which `--help` should not load.
import { formatDiagnostic, PolicyCompileError } from "../../compiler/index.ts";
import { formatFinding, type Finding } from "../../analysis/index.ts";
import type { Paint } from "../color.ts";

/** Prints a compile failure's diagnostics (file:line: Cedar's message) and returns exit code 1; rethrows anything else. */
export function reportCompileError(error: unknown, paint: Paint, what = "build"): number {
  if (!(error instanceof PolicyCompileError)) throw error;
  const errors = error.diagnostics.filter((d) => d.severity === "error");
  for (const d of error.diagnostics) console.error(d.severity === "error" ? paint.red(formatDiagnostic(d)) : paint.yellow(formatDiagnostic(d)));
  console.error(`${what} failed: ${errors.length} error${errors.length === 1 ? "" : "s"}`);
  return 1;
}

/** Prints analysis findings; returns how many fail the build (errors, and warnings when `strict`). */
export function reportFindings(findings: readonly Finding[], paint: Paint, strict: boolean): number {
  for (const finding of findings) {
    const line = formatFinding(finding);
    console.error(finding.severity === "error" || strict ? paint.red(line) : paint.yellow(line));
  }
  return findings.filter((f) => f.severity === "error" || strict).length;
}
