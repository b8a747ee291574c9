import { withinLifetime } from "../../break-glass/lifetime.ts";
import type { CompiledPolicySet } from "../../policy/types.ts";
import { evaluateShadow } from "../evaluate-shadow.ts";
import type { BreakGlassParts } from "../parts.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

/**
 * Evaluates the compiled policy set on the Cedar request and entities; in shadow mode (issue #7) the
 * candidate set too, whose answer goes to the audit line only. Never ends the request itself: the
 * `decision` stage reads the answer. A break-glass token (#19) is decided by its own short set
 * instead, never the everyday one, and refused (`too_old`) when it was minted to live too long.
 */
export function policiesStage(policies: CompiledPolicySet, shadowPolicies: CompiledPolicySet | null, breakGlass: BreakGlassParts | null = null): Stage {
  return function policiesEvaluate(state): Verdict | undefined {
    const started = performance.now();
    if (breakGlass !== null && state.token !== null && state.token.issuer === breakGlass.issuer) {
      state.breakGlass = true;
      if (!withinLifetime(state.token.claims, breakGlass.maxLifetimeSeconds)) return verdict(401, "too_old", { stage: "policies", field: "exp", issuer: breakGlass.issuer });
      state.policy = breakGlass.policies.evaluate(state.cedarRequest!, state.entities!);
      state.evalMs = performance.now() - started;
      return undefined;
    }
    state.policy = policies.evaluate(state.cedarRequest!, state.entities!);
    state.evalMs = performance.now() - started;
    if (shadowPolicies !== null) state.shadow = evaluateShadow(shadowPolicies, state.cedarRequest!, state.entities!);
    return undefined;
  };
}
