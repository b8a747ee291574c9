// Policy tests: suites of expected decisions (`policies/tests/*.yaml|json`), run through the real
// production pipeline with the credential and token stages swapped for the given claims and
// revocation for "nothing revoked" (given-stages.ts).
export { decideWithClaims } from "./decide.ts";
export { givenStages, type GivenInput } from "./given-stages.ts";
export { loadSuites, type LoadedSuites } from "./load-suites.ts";
export { runCases, type RunCasesOptions } from "./run-cases.ts";
export { prepareProject, resolveSetup, type PrepareOptions, type PreparedProject } from "./prepare.ts";
export { formatReport, type FormatReportOptions } from "./format-report.ts";
export type { CaseResult, DecideInput, DecideOutcome, DecideSetup, PolicyCase, SuiteProblem, TestReport } from "./types.ts";
