import { withinLifetime } from "../../break-glass/lifetime.ts";
import type { CompiledPolicySet } from "../../policy/types.ts";
import { evaluateShadow } from "../evaluate-shadow.ts";
import type { Canary } from "../../rollout/canary.ts";
import type { BreakGlassParts } from "../parts.ts";
import { addGeo } from "../context.ts";
import { EVERY_CONTEXT_PART, type ContextNeeds } from "../context-needs.ts";
import { verdict, type RequestState, type Stage, type Verdict } from "../state.ts";

/**
 * Evaluates the compiled policy set on the Cedar request and entities; in shadow mode (issue #7) the
 * candidate set too, whose answer goes to the audit line only. Never ends the request itself: the
 * `decision` stage reads the answer. With a canary rollout (#18) the candidate decides for its
 * slice. A break-glass token (#19) is decided by its own short set instead, never the everyday one
 * (nor a canary's), and refused (`too_old`) when it was minted to live too long.
 * `needs`: what the request stage was told to build (`ContextNeeds`), to catch up with a swap made
 * while the request waited in between.
 */
export function policiesStage(policies: CompiledPolicySet, shadowPolicies: CompiledPolicySet | null, canary: Canary | null = null, breakGlass: BreakGlassParts | null = null, needs: ContextNeeds = EVERY_CONTEXT_PART): Stage {
  const everyday = canary !== null ? canaryPoliciesStage(policies, canary, needs) : plainPoliciesStage(policies, shadowPolicies, needs);
  if (breakGlass === null) return everyday;
  return function policiesOrBreakGlass(state): ReturnType<Stage> {
    if (state.token === null || state.token.issuer !== breakGlass.issuer) return everyday(state);
    if (state.geoLeftOut) catchUpGeo(state, needs);
    const started = performance.now();
    state.breakGlass = true;
    if (!withinLifetime(state.token.claims, breakGlass.maxLifetimeSeconds)) return verdict(401, "too_old", { stage: "policies", field: "exp", issuer: breakGlass.issuer });
    state.policy = breakGlass.policies.evaluate(state.cedarRequest!, state.entities!);
    state.evalMs = performance.now() - started;
    return undefined;
  };
}

function plainPoliciesStage(policies: CompiledPolicySet, shadowPolicies: CompiledPolicySet | null, needs: ContextNeeds): Stage {
  return function policiesEvaluate(state): undefined {
    if (state.geoLeftOut) catchUpGeo(state, needs);
    const started = performance.now();
    state.policy = policies.evaluate(state.cedarRequest!, state.entities!);
    const evaluated = performance.now();
    state.evalMs = evaluated - started;
    if (shadowPolicies !== null) state.shadow = evaluateShadow(shadowPolicies, state.cedarRequest!, state.entities!);
    // Without a shadow set only the decision stage, a comparison, runs before the total is taken: it takes this time
    else state.evaluatedAt = evaluated;
    return undefined;
  };
}

/**
 * The policies stage of a canary rollout (#18), in place of `policiesStage` when `rollout` is
 * configured: both sets are evaluated on every request; the candidate's answer decides for the
 * principals in the canary slice (until the rollback rule fires), the stable set's for everyone
 * else. `state.shadow` is always the candidate's answer and `state.canary` records which set
 * decided, so the audit line shows the slice's disagreements directly. A candidate that throws is
 * a deny with an error, as in shadow mode. Both sets are values: `stable` here, the candidate the
 * canary's current one.
 */
function canaryPoliciesStage(stable: CompiledPolicySet, canary: Canary, needs: ContextNeeds): Stage {
  return function canaryPolicies(state): undefined {
    if (state.geoLeftOut) catchUpGeo(state, needs);
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

// The request stage left `geo` out, and a set swapped in since (while the request waited for live
// entities) may read it: add it now, as the request stage would have built it
function catchUpGeo(state: RequestState, needs: ContextNeeds): void {
  if (!needs.geo) return;
  addGeo(state.cedarRequest!.context!, state.input);
  state.geoLeftOut = false;
}
