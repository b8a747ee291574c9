import type { PolicyOutcome } from "./facts.ts";
import type { AuditPolicyError, AuditShadow } from "./record.ts";

/** How much of a policy error the line carries: the policy id only, or the id and the message. */
export type PolicyErrorDetail = "id" | "message";

/**
 * The `shadow` field for one decision: what the candidate policy set answered and whether its
 * decision agrees with the enforced one. Only the enforced set decides; this is evidence only.
 */
export function compareShadow(
  enforced: PolicyOutcome,
  candidate: PolicyOutcome,
  candidateVersion: string | null = null,
  errorDetail: PolicyErrorDetail = "id",
): AuditShadow {
  return {
    decision: candidate.decision,
    reasons: candidate.reasons,
    errors: policyErrors(candidate.errors, errorDetail),
    agrees: candidate.decision === enforced.decision,
    policy_version: candidateVersion,
  };
}

const NO_ERRORS: readonly AuditPolicyError[] = Object.freeze([]);

/** Policy errors as the line records them; shares the empty array when there are none. */
export function policyErrors(errors: PolicyOutcome["errors"] | undefined, detail: PolicyErrorDetail): readonly AuditPolicyError[] {
  if (errors === undefined || errors.length === 0) return NO_ERRORS;
  const out: AuditPolicyError[] = new Array(errors.length);
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    // messages can quote request values, so they are only written when asked for
    out[i] = detail === "message" ? { policy: e.policy, message: e.message } : { policy: e.policy };
  }
  return out;
}
