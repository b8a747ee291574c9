import type { CompiledPolicySet } from "../../policy/types.ts";
import { evaluateShadow } from "../evaluate-shadow.ts";
import type { Stage } from "../state.ts";

/**
 * Evaluates the compiled policy set on the Cedar request and entities; in shadow mode (issue #7) the
 * candidate set too, whose answer goes to the audit line only. Never ends the request itself: the
 * `decision` stage reads the answer.
 */
export function policiesStage(policies: CompiledPolicySet, shadowPolicies: CompiledPolicySet | null): Stage {
  return function policiesEvaluate(state): undefined {
    const started = performance.now();
    state.policy = policies.evaluate(state.cedarRequest!, state.entities!);
    state.evalMs = performance.now() - started;
    if (shadowPolicies !== null) state.shadow = evaluateShadow(shadowPolicies, state.cedarRequest!, state.entities!);
    return undefined;
  };
}
