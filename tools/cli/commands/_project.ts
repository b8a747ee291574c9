// Helpers the policy commands share (not a command: main.ts skips files starting with `_`).
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../command.ts";
import { formatDiagnostic, PolicyCompileError } from "../../compiler/index.ts";
import { formatFinding, type Finding } from "../../analysis/index.ts";
import type { Paint } from "../color.ts";

/** The policies directory: `--policies DIR`, default `policies` under the working directory. */
export function policiesDirFrom(value: string | undefined): string {
  const dir = resolve(value ?? "policies");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`policies directory \`${value ?? "policies"}\` not found${value ? "" : ": run in a project folder or pass `--policies DIR`"}`);
  }
  return dir;
}

/** A config file named by `--config`, checked to exist. */
export function configFileFrom(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!existsSync(value)) throw new UsageError(`config file \`${value}\` not found`);
  return resolve(value);
}

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
