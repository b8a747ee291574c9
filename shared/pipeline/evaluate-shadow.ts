import type { CedarRequest, CompiledPolicySet, EntityJson, PolicyResult } from "../policy/types.ts";

/**
 * Evaluates the candidate (shadow) policy set on the request the enforced set just decided (issue #7).
 * Its answer is evidence for the audit line only: it never reaches the decision. Compiled modules
 * answer malformed requests with a deny rather than throw, but a candidate is by definition not yet
 * trusted, so a throw is caught here and recorded as a deny with one error, never as a failed request.
 */
export function evaluateShadow(candidate: CompiledPolicySet, request: CedarRequest, entities: readonly EntityJson[]): PolicyResult {
  try {
    return candidate.evaluate(request, entities);
  } catch (error) {
    return { decision: "deny", reasons: [], errors: [{ policy: "", message: `candidate policy set failed: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}
