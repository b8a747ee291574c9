import { decideWithClaims } from "./decide.ts";
import type { CaseResult, DecideSetup, PolicyCase, SuiteProblem, TestReport } from "./types.ts";

/** Options of `runCases`. */
export interface RunCasesOptions {
  /** The time of cases that give none, in ms since the epoch; default the system clock at the start of the run. */
  readonly now?: number;
  /** Problems found while loading the suites; each counts as a failure. */
  readonly problems?: readonly SuiteProblem[];
}

/**
 * Runs each case through `decideWithClaims` and compares the decision, and when the case states
 * them the reason, the determining policies and the erroring policies (as sets). Also works out
 * which policies and routes no case exercised.
 */
export function runCases(setup: DecideSetup, cases: readonly PolicyCase[], options: RunCasesOptions = {}): TestReport {
  const now = options.now ?? Date.now();
  const problems = options.problems ?? [];
  const decided = new Set<string>();
  const routesHit = new Set<string>();
  const results: CaseResult[] = cases.map((testCase) => {
    const outcome = decideWithClaims(setup, { ...testCase, now: testCase.now ?? now });
    if (outcome.route !== undefined) routesHit.add(outcome.route);
    for (const id of outcome.result?.reasons ?? []) decided.add(id);
    const mismatches: CaseResult["mismatches"][number][] = [];
    if (outcome.decision !== testCase.expect) mismatches.push({ field: "decision", expected: testCase.expect, actual: outcome.decision });
    if (testCase.reason !== undefined && outcome.reason !== testCase.reason) mismatches.push({ field: "reason", expected: testCase.reason, actual: outcome.reason });
    if (testCase.policies !== undefined) {
      const actual = idList(outcome.result?.reasons ?? []);
      const expected = idList(testCase.policies);
      if (actual !== expected) mismatches.push({ field: "policies", expected, actual });
    }
    if (testCase.errors !== undefined) {
      const actual = idList((outcome.result?.errors ?? []).map((e) => e.policy));
      const expected = idList(testCase.errors);
      if (actual !== expected) mismatches.push({ field: "errors", expected, actual });
    }
    return { case: testCase, passed: mismatches.length === 0, outcome, mismatches };
  });
  const passed = results.filter((r) => r.passed).length;
  return {
    results,
    problems,
    passed,
    failed: results.length - passed + problems.length,
    unexercisedPolicies: setup.policies.policies.map((p) => p.id).filter((id) => !decided.has(id)),
    unexercisedRoutes: setup.routes.routes.map((r) => r.name).filter((name) => !routesHit.has(name)),
  };
}

function idList(ids: readonly string[]): string {
  return `[${[...new Set(ids)].sort().join(", ")}]`;
}
