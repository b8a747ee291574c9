// Policy tests: suites of expected decisions (`policies/tests/*.yaml|json`), run through the real
// pipeline stages with the signature step replaced by the given claims.
export { decideWithClaims } from "./decide.ts";
export { loadSuites, type LoadedSuites } from "./load-suites.ts";
export { runCases, type RunCasesOptions } from "./run-cases.ts";
export { prepareProject, resolveSetup, type PrepareOptions, type PreparedProject } from "./prepare.ts";
export { formatReport, type FormatReportOptions } from "./format-report.ts";
export type { CaseResult, DecideInput, DecideOutcome, DecideSetup, PolicyCase, SuiteProblem, TestReport } from "./types.ts";
