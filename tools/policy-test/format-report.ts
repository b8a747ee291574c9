import type { Paint } from "../cli/color.ts";
import type { TestReport } from "./types.ts";

const plain: Paint = { enabled: false, red: (t) => t, green: (t) => t, yellow: (t) => t, dim: (t) => t, bold: (t) => t };

/** Options of `formatReport`. */
export interface FormatReportOptions {
  /** Colours; default none. */
  readonly paint?: Paint;
  /** Add the coverage section (policies and routes no case exercised). */
  readonly coverage?: boolean;
}

/**
 * A test run as a test runner prints it: cases grouped by file, each failure with a `-` expected /
 * `+` actual diff, suite problems, coverage when asked, and the summary `N passed, M failed`.
 */
export function formatReport(report: TestReport, options: FormatReportOptions = {}): string {
  const paint = options.paint ?? plain;
  const lines: string[] = [];
  let file: string | undefined;
  for (const problem of report.problems) {
    lines.push(`${paint.red("✗")} ${problem.file}${problem.field ? `: ${problem.field}` : ""}: ${problem.message}`);
  }
  for (const result of report.results) {
    if (result.case.file !== file) {
      file = result.case.file;
      lines.push(paint.bold(file));
    }
    const title = `${result.case.expect}: ${result.case.name}`;
    if (result.passed) {
      lines.push(`  ${paint.green("✓")} ${title}`);
      continue;
    }
    lines.push(`  ${paint.red("✗")} ${title} ${paint.dim(`(${result.case.method} ${result.case.path}, cases[${result.case.index}])`)}`);
    for (const m of result.mismatches) {
      lines.push(`      ${paint.red(`- ${m.field}: ${m.expected}`)}`, `      ${paint.green(`+ ${m.field}: ${m.actual}`)}`);
    }
    const { outcome } = result;
    const detail = [`reason ${outcome.reason}${outcome.claim ? ` (claim \`${outcome.claim}\`)` : ""}`];
    if (outcome.result) detail.push(`determining [${outcome.result.reasons.join(", ")}]`);
    if (outcome.result && outcome.result.errors.length > 0) detail.push(`errored ${outcome.result.errors.map((e) => `${e.policy}: ${e.message}`).join("; ")}`);
    lines.push(`      ${paint.dim(detail.join(", "))}`);
  }
  if (options.coverage) {
    lines.push("", paint.bold("coverage"));
    lines.push(
      report.unexercisedPolicies.length === 0
        ? `  every policy decided at least one case`
        : `  ${paint.yellow("policies no case exercised:")} ${report.unexercisedPolicies.join(", ")}`,
      report.unexercisedRoutes.length === 0 ? `  every route matched at least one case` : `  ${paint.yellow("routes no case requested:")} ${report.unexercisedRoutes.join(", ")}`,
    );
  }
  const summary = `${report.passed} passed, ${report.failed} failed`;
  lines.push("", report.failed === 0 ? paint.green(summary) : paint.red(summary));
  return lines.join("\n");
}
