import type { DecisionFacts } from "./facts.ts";
import type { AuditCanary } from "./record.ts";

/** The `canary` field of a line (#18): which set decided, and what the stable set answered. */
export function canaryField(canary: NonNullable<DecisionFacts["canary"]>): AuditCanary {
  return {
    enforced: canary.enforced === "candidate" ? "candidate" : "stable",
    rolled_back: canary.rolledBack === true,
    stable_decision: canary.stable.decision === "allow" ? "allow" : "deny",
    stable_reasons: canary.stable.reasons,
  };
}
