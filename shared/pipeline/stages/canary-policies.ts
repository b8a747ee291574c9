import type { CompiledPolicySet } from "../../policy/types.ts";
import type { Canary } from "../../rollout/canary.ts";
import { evaluateShadow } from "../evaluate-shadow.ts";
import type { Stage } from "../state.ts";

/**
 * The policies stage of a canary rollout (#18), in place of `policiesStage` when `rollout` is
 * configured: both sets are evaluated on every request; the candidate's answer decides for the
 * principals in the canary slice (until the rollback rule fires), the stable set's for everyone
 * else. `state.shadow` is always the candidate's answer and `state.canary` records which set
 * decided, so the audit line shows the slice's disagreements directly. A candidate that throws is
 * a deny with an error, as in shadow mode. Both sets are values: `stable` here, the candidate the
 * canary's current one.
 */
export function canaryPoliciesStage(stable: CompiledPolicySet, canary: Canary): Stage {
  return function canaryPolicies(state): undefined {
    const request = state.cedarRequest!;
    const entities = state.entities!;
    const started = performance.now();
    const stableAnswer = stable.evaluate(request, entities);
    state.evalMs = performance.now() - started;
    const candidateAnswer = evaluateShadow(canary.candidate, request, entities);
    state.shadow = candidateAnswer;
    canary.poll();
    const principal = state.principal!;
    const tenant = state.principalFacts !== null ? state.principalFacts.tenant : typeof principal.attrs.tenant === "string" ? principal.attrs.tenant : undefined;
    const enforce = !canary.rolledBack && canary.selects(principal.uid, tenant) && canary.observe(stableAnswer, candidateAnswer, state.decisionId);
    state.policy = enforce ? candidateAnswer : stableAnswer;
    state.canary = { enforced: enforce ? "candidate" : "stable", rolledBack: canary.rolledBack, stable: stableAnswer };
    return undefined;
  };
}
