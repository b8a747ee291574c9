import { beforeAll, describe, expect, it } from "vitest";
import type { CompiledPolicySet } from "../../../../shared/policy/index.ts";
import { policiesStage } from "../../../../shared/pipeline/stages/policies.ts";
import { requestStage } from "../../../../shared/pipeline/stages/request.ts";
import { examplePolicies } from "../fixtures.ts";
import { authenticatedState, clock } from "./_state.ts";

let policies: CompiledPolicySet;
beforeAll(async () => {
  policies = await examplePolicies();
}, 60_000);

function mapped(method: string, path: string) {
  const state = authenticatedState(method, path);
  requestStage([], clock)(state);
  return state;
}

describe("policies stage", () => {
  it("evaluates the compiled set and goes on: the decision stage reads the answer", () => {
    const state = mapped("GET", "/tenants/acme/orders/o-17");
    expect(policiesStage(policies, null)(state)).toBeUndefined();
    expect(state.policy).toMatchObject({ decision: "allow", reasons: ["viewers-read-orders"] });
    expect(state.shadow).toBeNull();
    expect(state.evalMs).toBeGreaterThanOrEqual(0);
  });

  it("evaluates a shadow candidate beside it, for the audit line only", () => {
    const state = mapped("GET", "/tenants/globex/orders/o-1");
    const denyAll: CompiledPolicySet = { ...policies, evaluate: () => ({ decision: "deny", reasons: [], errors: [] }) };
    policiesStage(policies, denyAll)(state);
    expect(state.policy?.decision).toBe("deny");
    expect(state.shadow).toEqual({ decision: "deny", reasons: [], errors: [] });
  });
});
