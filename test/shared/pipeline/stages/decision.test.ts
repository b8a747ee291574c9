import { describe, expect, it } from "vitest";
import { decisionStage, forbidPolicyIds } from "../../../../shared/pipeline/stages/decision.ts";
import type { CompiledPolicySet, PolicyResult } from "../../../../shared/policy/index.ts";
import { stateFor } from "./_state.ts";

function answered(result: PolicyResult) {
  const state = stateFor("GET", "/x");
  state.policy = result;
  return state;
}

const erroredForbid: PolicyResult = { decision: "allow", reasons: ["viewers-read"], errors: [{ policy: "forbid-cross-tenant", message: "attribute `tenant` not found" }] };

describe("decision stage", () => {
  it("allows with 200 allowed when the policies permit", () => {
    expect(decisionStage(null)(answered({ decision: "allow", reasons: ["p"], errors: [] }))).toEqual({ status: 200, reason: "allowed" });
  });

  it("denies with 403 policy_denied when they do not", () => {
    expect(decisionStage(null)(answered({ decision: "deny", reasons: [], errors: [] }))).toEqual({ status: 403, reason: "policy_denied" });
  });

  it("skips an erroring forbid under onForbidError skip (exact Cedar)", () => {
    expect(decisionStage(null)(answered(erroredForbid))).toEqual({ status: 200, reason: "allowed" });
  });

  it("denies with 403 forbid_error naming the forbid under onForbidError deny", () => {
    const forbidIds = new Set(["forbid-cross-tenant"]);
    expect(decisionStage(forbidIds)(answered(erroredForbid))).toEqual({ status: 403, reason: "forbid_error", detail: { stage: "decision", policies: ["forbid-cross-tenant"] } });
  });

  it("collects the forbid ids only under onForbidError deny", () => {
    const set = { policies: [{ id: "a", effect: "permit" }, { id: "b", effect: "forbid" }] } as unknown as CompiledPolicySet;
    expect(forbidPolicyIds(set, "skip")).toBeNull();
    expect([...forbidPolicyIds(set, "deny")!]).toEqual(["b"]);
  });
});
